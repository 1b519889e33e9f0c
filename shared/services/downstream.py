"""The ports the downstream fan-out needs, built once per container (see shared/wiring.py)."""

from dataclasses import dataclass

from shared.ports import GpcIdentities, ReplayGuard, SecretStore, SystemRegistry, TaskTokens, WebhookSender, Workflow


@dataclass
class Downstream:
    registry: SystemRegistry
    secrets: SecretStore
    workflow: Workflow
    tokens: TaskTokens
    webhooks: WebhookSender
    replays: ReplayGuard
    gpc: GpcIdentities
