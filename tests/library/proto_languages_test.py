#!/usr/bin/env python3
"""proto/cpns/v1/cpns.proto is usable as is from other languages: protoc
generates Java, C#, Objective-C, PHP, Ruby and Python code from it, under the
names its language options declare, and the options leave the wire alone
(the descriptor differs from one without them only in the file options).

  proto_languages_test.py --protoc PROTOC --proto-dir DIR --include DIR
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

# Generated file -> a line it must contain (the declared name).
EXPECTED = {
    "java/cpns/v1/CpnsProto.java": "package cpns.v1;",
    "java/cpns/v1/EUKeyAssignmentRequest.java": "public final class EUKeyAssignmentRequest",
    "csharp/Cpns.cs": "namespace Cpns.V1 {",
    "objc/cpns/v1/Cpns.pbobjc.h": "@interface CPNSEUKeyAssignmentRequest",
    "php/Cpns/V1/EUKeyAssignmentRequest.php": "namespace Cpns\\V1;",
    "ruby/cpns/v1/cpns_pb.rb": "module Cpns",
    "python/cpns/v1/cpns_pb2.py": "DESCRIPTOR",
}
LANGUAGES = ("java", "csharp", "objc", "php", "ruby", "python")


def protoc(args, *extra, proto_dir=None):
    cmd = [args.protoc, f"-I{proto_dir or args.proto_dir}", f"-I{args.include}", *extra,
           os.path.join(proto_dir or args.proto_dir, "cpns", "v1", "cpns.proto")]
    run = subprocess.run(cmd, capture_output=True, timeout=60)
    if run.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)}\n{run.stderr.decode()}")
    return run.stdout


def descriptor_text(args, proto_dir, tmp):
    out = os.path.join(tmp, "set.pb")
    protoc(args, f"--descriptor_set_out={out}", proto_dir=proto_dir)
    with open(out, "rb") as f:
        run = subprocess.run([args.protoc, f"-I{args.include}",
                              "--decode=google.protobuf.FileDescriptorSet",
                              "google/protobuf/descriptor.proto"],
                             stdin=f, capture_output=True, timeout=60)
    if run.returncode != 0:
        sys.exit(f"FAIL: decoding the descriptor set: {run.stderr.decode()}")
    return run.stdout.decode()


def without_options(args, tmp):
    """A copy of the .proto without its `option` lines."""
    with open(os.path.join(args.proto_dir, "cpns", "v1", "cpns.proto")) as f:
        text = re.sub(r"(?m)^option \w+ = .*;\n", "", f.read())
    bare = os.path.join(tmp, "bare")
    os.makedirs(os.path.join(bare, "cpns", "v1"))
    with open(os.path.join(bare, "cpns", "v1", "cpns.proto"), "w") as f:
        f.write(text)
    return bare


def main():
    parser = argparse.ArgumentParser()
    for flag in ("--protoc", "--proto-dir", "--include"):
        parser.add_argument(flag, required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cpns-proto.") as tmp:
        outs = []
        for language in LANGUAGES:
            os.makedirs(os.path.join(tmp, language))
            outs.append(f"--{language}_out={os.path.join(tmp, language)}")
        protoc(args, *outs)
        for rel, line in EXPECTED.items():
            path = os.path.join(tmp, rel)
            if not os.path.isfile(path) or line not in open(path).read():
                sys.exit(f"FAIL: {rel} missing or without {line!r}")
        with_options = descriptor_text(args, None, tmp)
        bare = descriptor_text(args, without_options(args, tmp), tmp)
        options = re.search(r"(?m)^  options \{\n(?:    .*\n)*  \}\n", with_options)
        if not options or with_options.replace(options.group(0), "") != bare:
            sys.exit("FAIL: the .proto differs from its copy without options beyond the file "
                     "options")
    print(f"ok: {', '.join(LANGUAGES)} generated; the options change no message or service")
    return 0


if __name__ == "__main__":
    sys.exit(main())
