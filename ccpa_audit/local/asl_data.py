"""The data side of Amazon States Language for the local executor: reference paths, payload templates
(`Parameters`, `ItemSelector`), intrinsic functions, `ResultPath`, and Choice rules, as the ASL specification
defines them (the subset our definitions use, and the usual neighbours of each)."""

import copy
import json
import re
import uuid
from typing import Any

_SEGMENT = re.compile(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]|\['([^']+)'\]")


class StatesError(Exception):
    """A runtime error with an ASL error name (`States.Runtime`, `States.Timeout`, a task's own error...)."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


def _segments(path: str) -> list[str | int]:
    body = path[2:] if path.startswith("$$") else path[1:]
    segments: list[str | int] = []
    position = 0
    while position < len(body):
        match = _SEGMENT.match(body, position)
        if match is None:
            raise StatesError("States.Runtime", f"unsupported path {path!r}")
        name, index, quoted = match.groups()
        segments.append(int(index) if index is not None else (name if name is not None else quoted))
        position = match.end()
    return segments


def read_path(path: str, data: Any, context: dict[str, Any]) -> Any:
    """`$...` reads the state's input, `$$...` the context object."""
    value = context if path.startswith("$$") else data
    for segment in _segments(path):
        try:
            value = value[segment]
        except (KeyError, IndexError, TypeError):
            raise StatesError("States.Runtime", f"the path {path!r} matched nothing") from None
    return value


def has_path(path: str, data: Any, context: dict[str, Any]) -> bool:
    try:
        read_path(path, data, context)
        return True
    except StatesError:
        return False


def write_result(result_path: str | None, data: Any, result: Any) -> Any:
    """ResultPath: `$` (the default) replaces the input, null discards the result, `$.a.b` sets a field."""
    if result_path is None:
        return data
    if result_path == "$":
        return result
    output = copy.deepcopy(data) if isinstance(data, dict) else {}
    target = output
    segments = _segments(result_path)
    for segment in segments[:-1]:
        target = target.setdefault(segment, {})
    target[segments[-1]] = result
    return output


def render(template: Any, data: Any, context: dict[str, Any]) -> Any:
    """A payload template: keys ending in `.$` take a path or an intrinsic function; other values are literal."""
    if isinstance(template, dict):
        out: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$"):
                out[key[:-2]] = evaluate(value, data, context)
            else:
                out[key] = render(value, data, context)
        return out
    if isinstance(template, list):
        return [render(item, data, context) for item in template]
    return template


def evaluate(expression: str, data: Any, context: dict[str, Any]) -> Any:
    if expression.startswith("$"):
        return read_path(expression, data, context)
    if expression.startswith("States."):
        value, rest = _call(expression, 0, data, context)
        if expression[rest:].strip():
            raise StatesError("States.Runtime", f"unexpected text after {expression[:rest]!r}")
        return value
    raise StatesError("States.Runtime", f"not a path or intrinsic function: {expression!r}")


def _call(text: str, start: int, data: Any, context: dict[str, Any]) -> tuple[Any, int]:
    open_paren = text.index("(", start)
    name = text[start:open_paren].strip()
    args: list[Any] = []
    position = open_paren + 1
    while True:
        position = _skip_space(text, position)
        if text[position] == ")":
            break
        value, position = _argument(text, position, data, context)
        args.append(value)
        position = _skip_space(text, position)
        if text[position] == ",":
            position += 1
    return _intrinsic(name, args), position + 1


def _argument(text: str, position: int, data: Any, context: dict[str, Any]) -> tuple[Any, int]:
    if text.startswith("States.", position):
        return _call(text, position, data, context)
    if text[position] == "'":
        end = position + 1
        chars = []
        while text[end] != "'":
            if text[end] == "\\":
                end += 1
            chars.append(text[end])
            end += 1
        return "".join(chars), end + 1
    end = position
    while end < len(text) and text[end] not in ",)":
        end += 1
    token = text[position:end].strip()
    if token.startswith("$"):
        return read_path(token, data, context), end
    return json.loads(token), end


def _skip_space(text: str, position: int) -> int:
    while text[position].isspace():
        position += 1
    return position


def _intrinsic(name: str, args: list[Any]) -> Any:
    try:
        if name == "States.MathAdd":
            return args[0] + args[1]
        if name == "States.ArrayGetItem":
            return args[0][args[1]]
        if name == "States.Array":
            return list(args)
        if name == "States.ArrayLength":
            return len(args[0])
        if name == "States.Format":
            pieces = args[0].split("{}")
            out = pieces[0]
            for value, piece in zip(args[1:], pieces[1:], strict=True):
                out += (value if isinstance(value, str) else json.dumps(value)) + piece
            return out
        if name == "States.StringToJson":
            return json.loads(args[0])
        if name == "States.JsonToString":
            return json.dumps(args[0], separators=(",", ":"))
        if name == "States.UUID":
            return str(uuid.uuid4())
    except (IndexError, KeyError, TypeError, ValueError) as error:
        raise StatesError("States.IntrinsicFailure", f"{name}: {error}") from None
    raise StatesError("States.Runtime", f"unsupported intrinsic function {name}")


_COMPARISONS = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,
    "GreaterThan": lambda a, b: a > b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThanEquals": lambda a, b: a >= b,
}
_KINDS = {"Numeric": (int, float), "String": (str,), "Timestamp": (str,), "Boolean": (bool,)}


def choice_matches(rule: dict[str, Any], data: Any, context: dict[str, Any]) -> bool:
    if "And" in rule:
        return all(choice_matches(inner, data, context) for inner in rule["And"])
    if "Or" in rule:
        return any(choice_matches(inner, data, context) for inner in rule["Or"])
    if "Not" in rule:
        return not choice_matches(rule["Not"], data, context)
    variable = rule["Variable"]
    if "IsPresent" in rule:
        return has_path(variable, data, context) == rule["IsPresent"]
    if not has_path(variable, data, context):
        return False
    value = read_path(variable, data, context)
    for test, expected in (("IsNull", None), ("IsNumeric", (int, float)), ("IsString", str), ("IsBoolean", bool)):
        if test in rule:
            holds = value is None if expected is None else (isinstance(value, expected) and
                                                            (test == "IsBoolean" or not isinstance(value, bool)))
            return holds == rule[test]
    for key, operand in rule.items():
        if key in ("Variable", "Next"):
            continue
        by_path = key.endswith("Path")
        name = key[:-4] if by_path else key
        kind = next((k for k in _KINDS if name.startswith(k)), None)
        if kind is None or name[len(kind):] not in _COMPARISONS:
            raise StatesError("States.Runtime", f"unsupported Choice rule {key}")
        other = read_path(operand, data, context) if by_path else operand
        types = _KINDS[kind]
        if not isinstance(value, types) or not isinstance(other, types):
            return False
        if kind == "Numeric" and (isinstance(value, bool) or isinstance(other, bool)):
            return False
        return bool(_COMPARISONS[name[len(kind):]](value, other))
    raise StatesError("States.Runtime", "a Choice rule without a comparison")
