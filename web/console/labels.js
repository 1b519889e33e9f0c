// Words a privacy team reads instead of the API's snake_case codes.

export const TYPES = {
  opt_out_sale_sharing: "Opt-out of sale or sharing",
  limit_sensitive_pi: "Limit use of sensitive data",
  delete: "Delete",
  know: "Know",
  correct: "Correct",
};

export const STATUSES = {
  received: "Received",
  acknowledged: "Acknowledged",
  verified: "Identity verified",
  in_progress: "In progress",
  partially_honored: "Partially honored",
  honored: "Honored",
  responded: "Responded",
  denied: "Denied",
};

export const CHANNELS = {
  web_form: "web form",
  email: "email",
  toll_free: "toll-free number",
  mail: "mail",
  in_person: "in person",
  authorized_agent: "authorized agent",
  gpc: "Global Privacy Control signal",
};

export const CLOCKS = {
  honor_by: "Honor by",
  acknowledge_by: "Acknowledge by",
  respond_by: "Respond by",
};

export const DOWNSTREAM = {
  pending: "Waiting to be sent",
  instructed: "Instruction sent, waiting",
  confirmed: "Confirmed",
  failed: "Failed",
  timed_out: "Timed out",
};

export const DENIAL_BASES = {
  unverifiable: "Identity could not be verified",
  not_california_consumer: "Not a California consumer",
  exemption: "A legal exemption applies",
  fraud: "Fraudulent request",
  other: "Other",
};

export const ACCESS_ACTIONS = ["read", "create", "update", "delete", "export", "share"];

export const SYSTEM_KINDS = {
  email_marketing: "Email marketing",
  ad_platform: "Ad platform",
  crm: "CRM",
  analytics: "Analytics",
  service_provider: "Service provider",
  contractor: "Contractor",
  third_party: "Third party",
};

export const IDENTIFIERS = {
  email: "Email address",
  name: "Full name",
  phone: "Phone number",
  account_id: "Account id",
  device_id: "Device id",
};

export const ROLES = ["agent", "analyst", "auditor", "service", "admin"];

/** A label for a code, falling back to the code in words ("instruction_sent" -> "Instruction sent"). */
export function label(table, code) {
  if (code === null || code === undefined) return "";
  if (table[code]) return table[code];
  const words = String(code).replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
