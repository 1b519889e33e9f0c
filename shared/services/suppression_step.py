"""One message of the instruction queue: a branch's instruction, or the fan-out's finalize step."""

from functools import lru_cache
from typing import Annotated, Any

import pydantic

from shared.models.downstream import FinalizeInput, InstructionInput
from shared.services.deliver_instruction import deliver_instruction
from shared.services.downstream import Downstream
from shared.services.downstream_outcomes import finalize_fanout
from shared.services.ledger_writer import Ledger

Message = Annotated[InstructionInput | FinalizeInput, pydantic.Field(discriminator="action")]


@lru_cache(maxsize=1)
def _adapter() -> pydantic.TypeAdapter[Any]:
    return pydantic.TypeAdapter(Message)


def run_suppression_step(ledger: Ledger, downstream: Downstream, body: dict[str, Any]) -> str:
    message = _adapter().validate_python(body)
    if isinstance(message, FinalizeInput):
        return finalize_fanout(ledger, downstream, message).status.value
    return deliver_instruction(ledger, downstream, message)
