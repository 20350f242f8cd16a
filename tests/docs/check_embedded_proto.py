#!/usr/bin/env python3
"""Checks that docs/PROTOCOL.md embeds proto/cpns/v1/cpns.proto verbatim.

Usage: check_embedded_proto.py PROTOCOL.md cpns.proto. Exit 1 on a difference.
"""
import sys


def main(doc_path, proto_path):
    doc = open(doc_path).read()
    start = doc.index("```proto\n") + len("```proto\n")
    embedded = doc[start:doc.index("```", start)]
    proto = open(proto_path).read()
    if embedded != proto:
        print("docs/PROTOCOL.md section 2.1 does not embed the current proto/cpns/v1/cpns.proto")
        return 1
    print("ok: PROTOCOL.md embeds the current .proto")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
