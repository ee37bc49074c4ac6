#!/usr/bin/env python3
"""Verify an audit-logging log directory, following docs/FORMAT.md.

This is an independent implementation of the verification in FORMAT.md section 9,
written from the document with the Python 3 standard library only. It exists to show
that the document is complete, and to cross-check the crate's own verifier.

Usage:
    verify_format.py [--declared] LOG_DIR

Prints "intact: N records" and exits with 0, or prints
"damaged: FILE:LINE: KIND: DETAIL (byte offset N)" for the first problem and
exits with 1.
KIND is one of the problem kinds of FORMAT.md section 9. With --declared, each
record that the writer added itself is listed after that line as
"declared: seq S: EVENT_TYPE, count C". If verification cannot run (missing
directory, unreadable file), prints "error: ..." to standard error and exits with 2.

NOTE: the crate's own verifier is more lenient on three points (FORMAT.md section 9.1),
so on hand-made input the two can disagree. This script rejects a JSON array in place of
the header or `system` object, accepts only RFC 3339 times in `created`, and reports
values nested deeper than Python's recursion limit as Unparsable.
"""

import datetime
import hashlib
import hmac
import json
import os
import re
import sys

FORMAT_NAME = "audit-logging-segment"
FORMAT_VERSION = 1
GENESIS = "0" * 64
MAX_U64 = 2**64 - 1
MAX_U32 = 2**32 - 1

SEGMENT_NAME = re.compile(r"segment-([0-9]{20})\.jsonl")
HEX64 = re.compile(r"[0-9a-f]{64}")
# Keys that the verifier reads, with their types. A trailing "?" means the value may be
# null, and that the key may be missing where other keys are allowed (FORMAT.md section 9).
HEADER_FIELDS = {
    "format": "str",
    "version": "u32",
    "service_id": "str",
    "first_seq": "u64",
    "prev_hash": "hash",
    "created": "time",
}
RECORD_FIELDS = {
    "seq": "u64",
    "audit_id": "str",
    "service_id": "str",
    "prev_hash": "hash",
    "hash": "hash",
    "system": "any?",
}
SYSTEM_FIELDS = {"event_type": "str", "count": "u64?", "reason": "str?", "events_refused": "u64?", "length": "u64?"}

# A record line ends with ,"hash":" + 64 hex digits + "}  (FORMAT.md section 5.2).
HASH_KEY = b',"hash":"'
SUFFIX_LEN = len(HASH_KEY) + 64 + 2

# RFC 3339 date-time. FORMAT.md section 9.1 allows a verifier to accept only this form
# (plus the space separator that RFC 3339 permits) for the header's `created`.
RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"(?:[Zz]|([+-])([0-9]{2}):([0-9]{2}))"
)


class Damage(Exception):
    """A problem of one of the kinds in FORMAT.md section 9, at a line not yet known."""

    def __init__(self, kind, detail):
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


class Problem(Exception):
    """The first problem found, with the file, 1-based line number and byte offset."""

    def __init__(self, path, line, offset, damage):
        super().__init__(f"{path}:{line}: {damage.kind}: {damage.detail} (byte offset {offset})")
        self.path = path
        self.line = line
        self.offset = offset
        self.kind = damage.kind
        self.detail = damage.detail


class JsonObject(list):
    """A JSON object kept as its list of (key, value) pairs, so duplicate keys stay visible."""


class NegativeInteger:
    """A JSON integer written with a minus sign, which no unsigned field accepts (even -0)."""

    def __init__(self, text):
        self.text = text


def reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def parse_integer(text):
    return NegativeInteger(text) if text.startswith("-") else int(text)


def parse_json(line):
    """Parse one line, keeping objects as JsonObject.

    Invalid UTF-8 bytes become lone surrogates, because FORMAT.md section 9.1 allows them
    inside values that are not read. Keys and values that are read are checked later.
    """
    text = line.decode("utf-8", "surrogateescape")
    try:
        return json.loads(
            text,
            object_pairs_hook=JsonObject,
            parse_constant=reject_constant,
            parse_int=parse_integer,
        )
    except (ValueError, RecursionError) as error:
        raise Damage("Unparsable", f"invalid JSON: {error}") from None


def is_clean_string(value):
    """Return whether `value` is a string that came from valid UTF-8 with no lone surrogate."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_value(key, value, expected, kind):
    optional = expected.endswith("?")
    base = expected.rstrip("?")
    if base == "any" or (optional and value is None):
        return
    if base == "str" and is_clean_string(value):
        return
    if base in ("u64", "u32") and type(value) is int:
        limit = MAX_U64 if base == "u64" else MAX_U32
        if 0 <= value <= limit:
            return
    if base == "hash" and isinstance(value, str) and HEX64.fullmatch(value):
        return
    if base == "time" and is_clean_string(value) and is_rfc3339(value):
        return
    raise Damage(kind, f"`{key}` has an invalid value {shorten(value)}, expected {describe_type(expected)}")


def describe_type(expected):
    names = {
        "str": "a string",
        "u64": "an integer from 0 to 2^64-1",
        "u32": "an integer from 0 to 2^32-1",
        "hash": "64 lowercase hex digits",
        "time": "an RFC 3339 time",
    }
    text = names[expected.rstrip("?")]
    return text + " or null" if expected.endswith("?") else text


def shorten(value):
    """Return `value` as text of at most 80 characters, for messages."""
    if isinstance(value, NegativeInteger):
        return value.text
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def is_rfc3339(text):
    match = RFC3339.fullmatch(text)
    if not match:
        return False
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    if hour > 23 or minute > 59 or second > 60:
        return False
    if match.group(8) and (int(match.group(9)) > 23 or int(match.group(10)) > 59):
        return False
    return True


def pick_fields(pairs, types, kind, closed):
    """Return the values of the keys in `types`, checked. Each may occur at most once.

    With `closed`, every key must be present and no other key is allowed (the header).
    Otherwise other keys are ignored and a missing optional key reads as None.
    """
    found = {}
    for key, value in pairs:
        if not is_clean_string(key):
            raise Damage(kind, f"key {shorten(key)} is not valid UTF-8 or contains a lone surrogate")
        if key in types:
            if key in found:
                raise Damage(kind, f"duplicate key `{key}`")
            found[key] = value
        elif closed:
            raise Damage(kind, f"unknown key {shorten(key)}")
    for key, expected in types.items():
        if key not in found:
            if expected.endswith("?") and not closed:
                found[key] = None
                continue
            raise Damage(kind, f"missing key `{key}`")
        check_value(key, found[key], expected, kind)
    return found


def decode_header(line):
    """Check a header line (FORMAT.md section 4) and return its values."""
    try:
        parsed = parse_json(line)
    except Damage as damage:
        raise Damage("BadHeader", damage.detail) from None
    if not isinstance(parsed, JsonObject):
        raise Damage("BadHeader", "the header is not a JSON object")
    header = pick_fields(parsed, HEADER_FIELDS, "BadHeader", closed=True)
    if header["format"] != FORMAT_NAME:
        raise Damage("BadHeader", f"format {header['format']!r}, expected {FORMAT_NAME!r}")
    if header["version"] != FORMAT_VERSION:
        raise Damage("BadHeader", f"unsupported version {header['version']}, expected {FORMAT_VERSION}")
    return header


class Chain:
    """Chain state: the sequence number, prev_hash and service_id that the next record
    must have, and what was counted so far."""

    def __init__(self):
        self.started = False
        self.next_seq = 0
        self.prev_hash = GENESIS
        self.service_id = None
        self.records = 0
        self.declared = []

    def enter_segment(self, header):
        """Link a segment header to the chain (FORMAT.md section 9, step 3)."""
        if not self.started:
            if header["first_seq"] != 0 or not same_hash(header["prev_hash"], GENESIS):
                raise Damage(
                    "MissingRecords",
                    f"the first segment starts at sequence {header['first_seq']} with prev_hash "
                    f"{header['prev_hash']}, expected sequence 0 and the genesis hash",
                )
            self.started = True
        else:
            if header["first_seq"] != self.next_seq:
                raise Damage(
                    "MissingRecords",
                    f"segment starts at sequence {header['first_seq']}, expected {self.next_seq}",
                )
            if not same_hash(header["prev_hash"], self.prev_hash):
                raise Damage(
                    "BrokenLink",
                    f"header prev_hash {header['prev_hash']}, previous record's hash is {self.prev_hash}",
                )
        self.next_seq = header["first_seq"]
        self.prev_hash = header["prev_hash"]
        self.service_id = header["service_id"]

    def check_record(self, line):
        """Check one record line without its LF (FORMAT.md section 9, step 4)."""
        if len(line) < SUFFIX_LEN + 2 or not line.endswith(b'"}') or line[-SUFFIX_LEN:][: len(HASH_KEY)] != HASH_KEY:
            raise Damage("Unparsable", "the line does not end with a hash field")
        stored = line[-SUFFIX_LEN + len(HASH_KEY) : -2].decode("ascii", "replace")
        if not HEX64.fullmatch(stored):
            raise Damage("Unparsable", "the hash is not 64 lowercase hex digits")
        hashed = line[:-SUFFIX_LEN]

        parsed = parse_json(line)
        if not isinstance(parsed, JsonObject):
            raise Damage("Unparsable", "the record is not a JSON object")
        fields = pick_fields(parsed, RECORD_FIELDS, "Unparsable", closed=False)
        system = fields["system"]
        if system is not None:
            if not isinstance(system, JsonObject):
                raise Damage("Unparsable", "`system` is not a JSON object")
            system = pick_fields(system, SYSTEM_FIELDS, "Unparsable", closed=False)

        computed = hashlib.sha256(hashed).hexdigest()
        if not same_hash(computed, stored) or not same_hash(fields["hash"], stored):
            raise Damage("HashMismatch", f"stored {stored}, bytes hash to {computed}")
        seq = fields["seq"]
        if seq > self.next_seq:
            raise Damage("SequenceGap", f"expected {self.next_seq}, found {seq}")
        if seq < self.next_seq:
            raise Damage("SequenceRepeat", f"expected {self.next_seq}, found {seq}")
        if not same_hash(fields["prev_hash"], self.prev_hash):
            raise Damage("BrokenLink", f"prev_hash {fields['prev_hash']}, previous record's hash is {self.prev_hash}")
        if fields["service_id"] != self.service_id:
            raise Damage(
                "Unparsable",
                f"service_id {fields['service_id']!r} differs from the segment header's {self.service_id!r}",
            )
        expected_id = f"audit-{self.service_id}-{seq:016x}"
        if fields["audit_id"] != expected_id:
            raise Damage("Unparsable", f"audit_id {fields['audit_id']!r}, expected {expected_id!r}")

        self.next_seq = seq + 1
        self.prev_hash = stored
        self.records += 1
        if system is not None:
            count = next((system[k] for k in ("count", "events_refused", "length") if system[k] is not None), 0)
            self.declared.append((seq, system["event_type"], count))


def same_hash(a, b):
    return hmac.compare_digest(a.encode("ascii"), b.encode("ascii"))


def list_segments(log_dir):
    """Return (first_seq, name) of every segment file, in sequence order (FORMAT.md section 3)."""
    segments = []
    for name in os.listdir(log_dir):
        match = SEGMENT_NAME.fullmatch(name)
        if match and int(match.group(1)) <= MAX_U64:
            segments.append((int(match.group(1)), name))
    segments.sort()
    return segments


def verify_segment(path, name_seq, chain):
    with open(path, "rb") as file:
        header_line = file.readline()
        try:
            if not header_line:
                raise Damage("BadHeader", "empty file")
            if not header_line.endswith(b"\n"):
                raise Damage("BadHeader", "the header line has no LF")
            header = decode_header(header_line[:-1])
            if header["first_seq"] != name_seq:
                raise Damage(
                    "BadHeader",
                    f"first_seq {header['first_seq']} differs from the file name's {name_seq}",
                )
            chain.enter_segment(header)
        except Damage as damage:
            raise Problem(path, 1, 0, damage) from None

        number = 1
        offset = len(header_line)
        for raw in file:
            number += 1
            try:
                if not raw.endswith(b"\n"):
                    raise Damage("IncompleteLine", f"{len(raw)} bytes without an LF at the end of the file")
                chain.check_record(raw[:-1])
            except Damage as damage:
                raise Problem(path, number, offset, damage) from None
            offset += len(raw)


def verify(log_dir, chain):
    """Verify the log in `log_dir`, advancing `chain`. Raise Problem at the first problem,
    or OSError if the directory or a file cannot be read."""
    for first_seq, name in list_segments(log_dir):
        verify_segment(os.path.join(log_dir, name), first_seq, chain)


def main(argv):
    args = argv[1:]
    show_declared = "--declared" in args
    args = [a for a in args if a != "--declared"]
    if len(args) != 1:
        print("usage: verify_format.py [--declared] LOG_DIR", file=sys.stderr)
        return 2

    log_dir = args[0]
    chain = Chain()
    try:
        verify(log_dir, chain)
        print(f"intact: {chain.records} records")
        status = 0
    except Problem as problem:
        print(f"damaged: {problem.path}:{problem.line}: {problem.kind}: {problem.detail} (byte offset {problem.offset})")
        status = 1
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if show_declared:
        for seq, event_type, count in chain.declared:
            print(f"declared: seq {seq}: {event_type}, count {count}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
