"""DynamoStatusTokens: a consumer's status link -> its request, keyed by the HMAC of the token (pk STATUS#<hmac>),
so the index never holds a token that opens a status page."""

from shared.adapters.dynamo_gpc_identities import DynamoGpcIdentities


class DynamoStatusTokens(DynamoGpcIdentities):
    prefix = "STATUS#"
    entity = "status_token"
