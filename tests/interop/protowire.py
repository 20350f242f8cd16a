"""Protobuf (proto3) binary encoding of the cpns.v1 pairing messages, by hand.

Written from the field tables of docs/PROTOCOL.md (sections 2.1, 5.2, 11.2)
only, with no generated code, so that the interop client depends on nothing
of cpns but its published specification.
"""

WIRE_VARINT = 0
WIRE_FIXED64 = 1
WIRE_LEN = 2
WIRE_FIXED32 = 5

ENTITY_TYPES = {"PNE": 1, "PNGW": 2}
ENTITY_TYPE_NAMES = {v: k for k, v in ENTITY_TYPES.items()}


class WireError(ValueError):
    """Bytes that are not a protobuf message of the expected shape."""


def _varint(value):
    # int64 and enum values are sent as their 64-bit two's complement.
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(number, wire_type):
    return _varint((number << 3) | wire_type)


def field_varint(number, value):
    """A varint field; proto3 leaves out a field at its default, 0."""
    return _key(number, WIRE_VARINT) + _varint(value) if value else b""


def field_bytes(number, value):
    """A bytes or string field; proto3 leaves out an empty one."""
    if isinstance(value, str):
        value = value.encode("ascii")
    return _key(number, WIRE_LEN) + _varint(len(value)) + value if value else b""


def _read_varint(data, pos):
    result = shift = 0
    while True:
        if pos >= len(data):
            raise WireError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result & ((1 << 64) - 1), pos
        if shift >= 70:
            raise WireError("varint longer than 10 bytes")


def parse(data):
    """{field number: last value}; unknown fields are read and kept too."""
    fields = {}
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0")
        if wire_type == WIRE_VARINT:
            value, pos = _read_varint(data, pos)
        elif wire_type == WIRE_LEN:
            length, pos = _read_varint(data, pos)
            if pos + length > len(data):
                raise WireError(f"field {number} runs past the end")
            value, pos = bytes(data[pos:pos + length]), pos + length
        elif wire_type in (WIRE_FIXED64, WIRE_FIXED32):
            size = 8 if wire_type == WIRE_FIXED64 else 4
            if pos + size > len(data):
                raise WireError(f"field {number} runs past the end")
            value, pos = bytes(data[pos:pos + size]), pos + size
        else:
            raise WireError(f"field {number} has wire type {wire_type}")
        fields[number] = (wire_type, value)
    return fields


def get_bytes(fields, number):
    wire_type, value = fields.get(number, (WIRE_LEN, b""))
    if wire_type != WIRE_LEN:
        raise WireError(f"field {number} is not length-delimited")
    return value


def get_string(fields, number):
    value = get_bytes(fields, number)
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as e:
        raise WireError(f"field {number} is not UTF-8") from e


def get_uint(fields, number, bits):
    wire_type, value = fields.get(number, (WIRE_VARINT, 0))
    if wire_type != WIRE_VARINT:
        raise WireError(f"field {number} is not a varint")
    return value & ((1 << bits) - 1)


def get_int64(fields, number):
    value = get_uint(fields, number, 64)
    return value - (1 << 64) if value >= 1 << 63 else value


# --- the messages of PROTOCOL.md 2.1 / 11.2 ---------------------------------

def start_pairing_request(entity_type, entity_id, user_id):
    return (field_varint(1, ENTITY_TYPES[entity_type]) + field_bytes(2, entity_id) +
            field_bytes(3, user_id))


def parse_start_pairing_response(data):
    f = parse(data)
    return {
        "session_id": get_bytes(f, 1),
        "gw_id": get_string(f, 2),
        "pbkdf_salt": get_bytes(f, 3),
        "pbkdf_iterations": get_uint(f, 4, 32),
        "share_v": get_bytes(f, 5),
    }


def finish_pairing_request(session_id, share_p, confirm_p):
    return field_bytes(1, session_id) + field_bytes(2, share_p) + field_bytes(3, confirm_p)


def parse_finish_pairing_response(data):
    f = parse(data)
    return {"confirm_v": get_bytes(f, 1), "sealed_assignment": get_bytes(f, 2)}


def parse_assignment_response(data):
    """An EUKeyAssignmentResponse (PROTOCOL.md 5.2)."""
    f = parse(data)
    return {
        "second_seed": get_bytes(f, 1),
        "eukey": get_bytes(f, 2),
        "gw_id": get_string(f, 3),
        "seed_epoch": get_uint(f, 4, 32),
        "not_after": get_int64(f, 5),
        "entity_type": get_uint(f, 6, 32),
        "entity_id": get_string(f, 7),
        "user_id": get_string(f, 8),
    }
