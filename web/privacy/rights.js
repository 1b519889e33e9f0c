// The five rights in the words a consumer reads, and which deadline the business owes for each (API.md:
// honor_by for opt-out and limit, respond_by for delete, know and correct).

export const RIGHTS = {
  opt_out_sale_sharing: { name: "Do Not Sell or Share My Personal Information", clock: "honor_by", verb: "honor" },
  limit_sensitive_pi: { name: "Limit the Use of My Sensitive Personal Information", clock: "honor_by", verb: "honor" },
  delete: { name: "Delete My Personal Information", clock: "respond_by", verb: "respond to" },
  know: { name: "Know What Personal Information We Have About Me", clock: "respond_by", verb: "respond to" },
  correct: { name: "Correct My Personal Information", clock: "respond_by", verb: "respond to" },
};

export function rightName(type) {
  return RIGHTS[type]?.name ?? String(type).replace(/_/g, " ");
}
