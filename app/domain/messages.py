"""EIP-4361 messages: the fields (checked on construction), a strict parser and the serialiser.

`parse_message` accepts a text only when it matches the EIP-4361 ABNF line by line and serialising the parsed
fields gives back the very same text ("one meaning, one text": `Chain ID: 01`, CRLF line ends or a trailing
newline are refused). It is a linear-time replacement for the `siwe` package's ABNF parser, which costs
milliseconds a message; tests/domain/test_messages_differential.py checks that both agree.

Where we are deliberately stricter than the ABNF or the `siwe` package:
- the address must be in its EIP-55 form (the ABNF comment says so; `siwe` only warns on all-lower or
  all-upper case);
- timestamps must be real instants: a valid calendar date, hour 00-23, minute and second 00-59 (Python's
  datetime cannot hold a leap second), an offset below 24 hours with minutes 00-59, and the upper-case
  "T" and "Z" that every SIWE library prints (RFC 3339 also allows lower case; `siwe` happens to take a
  lower-case "t" but not a lower-case "z").
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from app.domain import grammar
from app.domain.addresses import is_checksum_address
from app.errors import InvalidMessage, shown

MAX_MESSAGE_BYTES = 8 * 1024
VERSION = "1"


@dataclass(frozen=True, slots=True, kw_only=True)
class SiweMessage:
    """An EIP-4361 message. Every field is checked against its ABNF rule on construction (InvalidMessage
    otherwise); timestamps are kept as the text that was signed, and their instants computed once."""

    domain: str
    address: str
    uri: str
    version: str
    chain_id: int
    nonce: str
    issued_at: str
    scheme: str | None = None
    statement: str | None = None
    expiration_time: str | None = None
    not_before: str | None = None
    request_id: str | None = None
    resources: tuple[str, ...] | None = None
    issued_at_seconds: float = field(init=False, repr=False, compare=False)
    expiration_seconds: float | None = field(init=False, repr=False, compare=False)
    not_before_seconds: float | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.scheme is not None and grammar.scheme_re.fullmatch(self.scheme) is None:
            raise InvalidMessage("scheme is not an RFC 3986 scheme")
        if not self.domain or grammar.authority_re.fullmatch(self.domain) is None:
            raise InvalidMessage("domain is not an RFC 3986 authority")
        if not is_checksum_address(self.address):
            raise InvalidMessage("address is not an EIP-55 checksummed address")
        if self.statement is not None and grammar.statement_re.fullmatch(self.statement) is None:
            raise InvalidMessage("statement may only hold RFC 3986 reserved and unreserved characters and spaces")
        if grammar.uri_re.fullmatch(self.uri) is None:
            raise InvalidMessage("URI is not an RFC 3986 URI")
        if self.version != VERSION:
            raise InvalidMessage("Version must be 1")
        if type(self.chain_id) is not int or self.chain_id < 0:
            raise InvalidMessage("Chain ID must be a non-negative integer")
        if grammar.nonce_re.fullmatch(self.nonce) is None:
            raise InvalidMessage("Nonce must be at least 8 letters and digits")
        if self.request_id is not None and grammar.request_id_re.fullmatch(self.request_id) is None:
            raise InvalidMessage("Request ID may only hold RFC 3986 pchar characters")
        if self.resources is not None:
            if any(grammar.uri_re.fullmatch(resource) is None for resource in self.resources):
                raise InvalidMessage("every resource must be an RFC 3986 URI")
            object.__setattr__(self, "resources", tuple(self.resources))
        object.__setattr__(self, "issued_at_seconds", timestamp_seconds(self.issued_at))
        for name, text in (("expiration_seconds", self.expiration_time), ("not_before_seconds", self.not_before)):
            object.__setattr__(self, name, None if text is None else timestamp_seconds(text))


def timestamp_seconds(value: str) -> float:
    """Seconds since the Unix epoch of an RFC 3339 date-time; raises InvalidMessage if it is not one."""
    match = grammar.date_time_re.fullmatch(value)
    if match is None:
        raise InvalidMessage(f"{shown(value)} is not an RFC 3339 date-time")
    part = match.group
    fraction = part("fraction") or ""
    offset = UTC
    try:
        if part("sign") is not None:
            hours, minutes = int(part("offset_hour")), int(part("offset_minute"))
            if minutes > 59:
                raise ValueError("offset minute must be in 0..59")
            delta = timedelta(hours=hours, minutes=minutes)
            offset = timezone(-delta if part("sign") == "-" else delta)
        instant = datetime(
            int(part("year")), int(part("month")), int(part("day")),
            int(part("hour")), int(part("minute")), int(part("second")),
            int(fraction[:6].ljust(6, "0")), tzinfo=offset,
        )  # fmt: skip
    except ValueError as exc:
        raise InvalidMessage(f"{shown(value)} is not a real instant: {exc}") from None
    return instant.timestamp()


def format_message(message: SiweMessage) -> str:
    """The EIP-4361 text of a message: the exact bytes a wallet signs."""
    header = f"{message.domain}{grammar.HEADER_SUFFIX}"
    if message.scheme is not None:
        header = f"{message.scheme}://{header}"
    lines = [header, message.address, ""]
    if message.statement is not None:
        lines += [message.statement, ""]
    else:
        lines.append("")
    lines += [
        f"URI: {message.uri}",
        f"Version: {message.version}",
        f"Chain ID: {message.chain_id}",
        f"Nonce: {message.nonce}",
        f"Issued At: {message.issued_at}",
    ]
    if message.expiration_time is not None:
        lines.append(f"Expiration Time: {message.expiration_time}")
    if message.not_before is not None:
        lines.append(f"Not Before: {message.not_before}")
    if message.request_id is not None:
        lines.append(f"Request ID: {message.request_id}")
    if message.resources is not None:
        lines.append("Resources:")
        lines += [f"- {resource}" for resource in message.resources]
    return "\n".join(lines)


class _Lines:
    """The message's lines, taken in order; a missing or mistagged line is an InvalidMessage."""

    def __init__(self, text: str) -> None:
        self._lines = text.split("\n")
        self._next = 0

    def peek(self, offset: int = 0) -> str | None:
        index = self._next + offset
        return self._lines[index] if index < len(self._lines) else None

    def take(self) -> str:
        line = self.peek()
        if line is None:
            raise InvalidMessage("the message ends too early")
        self._next += 1
        return line

    def take_tagged(self, tag: str) -> str:
        line = self.take()
        if not line.startswith(tag):
            raise InvalidMessage(f"expected a line starting with {tag.strip()!r}")
        return line[len(tag) :]

    def take_optional(self, tag: str) -> str | None:
        line = self.peek()
        if line is None or not line.startswith(tag):
            return None
        self._next += 1
        return line[len(tag) :]

    def rest(self) -> list[str]:
        rest, self._next = self._lines[self._next :], len(self._lines)
        return rest


def parse_message(text: str) -> SiweMessage:
    """Parse the exact text that was signed; raises InvalidMessage unless it is canonical EIP-4361."""
    if not text.isascii():
        raise InvalidMessage("an EIP-4361 message is ASCII only")
    if len(text) > MAX_MESSAGE_BYTES:
        raise InvalidMessage(f"the message is longer than {MAX_MESSAGE_BYTES} bytes")
    lines = _Lines(text)
    header = grammar.header_re.fullmatch(lines.take())
    if header is None:
        raise InvalidMessage("the first line must be '<domain> wants you to sign in with your Ethereum account:'")
    address = lines.take()
    if lines.take() != "":
        raise InvalidMessage("an empty line must follow the address")
    statement: str | None = None
    if lines.peek(1) == "":  # `[ statement LF ] LF`: a statement line (maybe empty) and an empty line
        statement = lines.take()
        lines.take()
    elif lines.take() != "":
        raise InvalidMessage("the statement must be followed by an empty line")
    uri = lines.take_tagged("URI: ")
    version = lines.take_tagged("Version: ")
    chain_id_text = lines.take_tagged("Chain ID: ")
    nonce = lines.take_tagged("Nonce: ")
    issued_at = lines.take_tagged("Issued At: ")
    expiration_time = lines.take_optional("Expiration Time: ")
    not_before = lines.take_optional("Not Before: ")
    request_id = lines.take_optional("Request ID: ")
    resources: list[str] | None = None
    if lines.peek() == "Resources:":
        lines.take()
        resources = []
        for line in lines.rest():
            if not line.startswith("- "):
                raise InvalidMessage("each resource must be on its own line starting with '- '")
            resources.append(line[2:])
    if lines.peek() is not None:
        raise InvalidMessage(f"unexpected line {shown(lines.peek() or '')}")
    if grammar.chain_id_re.fullmatch(chain_id_text) is None:
        raise InvalidMessage("Chain ID must be decimal digits")
    try:
        chain_id = int(chain_id_text)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        raise InvalidMessage("Chain ID is too long") from None
    message = SiweMessage(
        domain=header.group("domain"), address=address, uri=uri, version=version, chain_id=chain_id, nonce=nonce,
        issued_at=issued_at, scheme=header.group("scheme"), statement=statement, expiration_time=expiration_time,
        not_before=not_before, request_id=request_id, resources=None if resources is None else tuple(resources),
    )  # fmt: skip
    if format_message(message) != text:
        raise InvalidMessage("the message is not in canonical form (e.g. a leading zero in the Chain ID)")
    return message
