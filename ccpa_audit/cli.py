"""The `ccpa-audit` command: `local` runs the whole stack on this machine."""

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ccpa-audit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    local = commands.add_parser("local", help="run the stack locally on moto (in memory)")
    local.add_argument("--host", default="127.0.0.1")
    local.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    args = parser.parse_args(argv)
    if args.command == "local":
        from ccpa_audit.local.runtime import serve

        return serve(args.host, args.port)
    return 2


if __name__ == "__main__":
    sys.exit(main())
