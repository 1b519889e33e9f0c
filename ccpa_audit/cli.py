"""The `ccpa-audit` command: `local` runs the whole stack on this machine; `export` builds an evidence bundle through
the API and downloads it (checking its SHA-256, optionally verifying it); `verify` checks a bundle offline;
`publish-web` uploads the web pages to a deployed stack."""

import argparse
import os
import sys

from ccpa_audit import export_client


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ccpa-audit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    local = commands.add_parser("local", help="run the stack locally on moto (in memory)")
    local.add_argument("--host", default="127.0.0.1")
    local.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    verify = commands.add_parser("verify", help="verify an evidence bundle (zip or folder) offline")
    verify.add_argument("path")
    export = commands.add_parser("export", help="build an evidence bundle through the API and download it",
                                 description=export_client.__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    export_client.add_arguments(export)
    publish = commands.add_parser("publish-web", help="upload web/ to a deployed stack's site and refresh CloudFront")
    publish.add_argument("--stack", default=os.environ.get("STACK", "ccpa-audit"))
    publish.add_argument("--region", default=None)
    args = parser.parse_args(argv)
    if args.command == "publish-web":
        import boto3

        from ccpa_audit.publish_web import publish as publish_web

        return publish_web(args.stack, lambda service: boto3.client(service, region_name=args.region))
    if args.command == "verify":
        return run_verify(args.path)
    if args.command == "export":
        if not export_client.scope_body(args):
            export.error(export_client.missing_scope_message())
        return export_client.run_export(args)
    if args.command == "local":
        from ccpa_audit.local.runtime import serve

        return serve(args.host, args.port)
    return 2


def run_verify(path: str) -> int:
    """Exit 0 only when everything holds; otherwise name each event or checkpoint and what is wrong."""
    from pathlib import Path

    from shared.ledger.bundle_format import read_bundle
    from shared.ledger.verify_bundle import verify_bundle

    try:
        bundle = read_bundle(Path(path))
    except (OSError, ValueError) as error:
        print(f"FAIL cannot read {path}: {error}")
        return 1
    report = verify_bundle(bundle)
    print(f"{report.events} events in {report.requests} request chains, {report.checkpoints} checkpoints, "
          f"{report.consistency_proofs} consistency proofs")
    for failure in report.failures:
        print(f"FAIL {failure}")
    if report.unsealed:
        print(f"{report.unsealed} events not yet sealed (listed in the manifest; no inclusion proof yet)")
    print("OK: every event, chain, proof and signature holds" if report.ok else
          f"FAILED: {len(report.failures)} problem(s)")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
