"""The `ccpa-audit` command: `local` runs the whole stack on this machine; `export` builds an evidence bundle through
the API and downloads it (checking its SHA-256, optionally verifying it); `verify` checks a bundle offline;
`publish-web` uploads the web pages to a deployed stack."""

import argparse
import os
import sys
from typing import TYPE_CHECKING

from ccpa_audit import export_client

if TYPE_CHECKING:
    from shared.ledger.verify_bundle import Report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ccpa-audit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    local = commands.add_parser("local", help="run the stack locally on moto (in memory)")
    local.add_argument("--host", default="127.0.0.1")
    local.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    verify = commands.add_parser("verify", help="verify an evidence bundle (zip or folder) offline")
    verify.add_argument("path")
    verify.add_argument("--key", help="the key to trust: a PEM file, its SHA-256 fingerprint or key id (offline), "
                                      "or the /ledger/keys URL (fetched); without it the bundle's own key is used")
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
        return run_verify(args.path, args.key)
    if args.command == "export":
        if not export_client.scope_body(args):
            export.error(export_client.missing_scope_message())
        return export_client.run_export(args)
    if args.command == "local":
        from ccpa_audit.local import native_memory
        from ccpa_audit.local.runtime import serve

        if argv is None:  # started as a command, not called from Python: the whole command can start again
            native_memory.use_system_allocator(sys.orig_argv[1:])

        return serve(args.host, args.port)
    return 2


def run_verify(path: str, key: str | None = None) -> int:
    """Exit 0 only when everything holds; otherwise name each event or checkpoint and what is wrong. A bad --key is
    exit 2; a bundle that cannot be read or is malformed is exit 1 with a message, never a traceback."""
    from pathlib import Path

    from ccpa_audit.key_pin import PinError, resolve_pin
    from shared.ledger.bundle_format import read_bundle
    from shared.ledger.verify_bundle import verify_bundle

    try:
        pin = resolve_pin(key) if key else None
    except PinError as error:
        print(f"ERROR {error}")
        return 2
    try:
        bundle = read_bundle(Path(path))
    except Exception as error:  # noqa: BLE001  truncated or foreign archives raise many kinds; each is a failure
        print(f"FAIL cannot read {path}: not a bundle zip or folder ({type(error).__name__}: {error})")
        return 1
    try:
        report = verify_bundle(bundle, pin)
    except Exception as error:  # noqa: BLE001  the checks name what they can; anything left is still a failure
        print(f"FAIL {path}: the bundle is malformed ({type(error).__name__}: {error})")
        return 1
    print(f"{report.events} events in {report.requests} request chains, {report.checkpoints} checkpoints, "
          f"{report.consistency_proofs} consistency proofs")
    for failure in report.failures:
        print(f"FAIL {failure}")
    if report.unsealed:
        print(f"{report.unsealed} events not yet sealed (listed in the manifest; no inclusion proof yet)")
    _print_trust(report)
    print("OK: every event, chain, proof and signature holds" if report.ok else
          f"FAILED: {len(report.failures)} problem(s)")
    return 0 if report.ok else 1


def _print_trust(report: "Report") -> None:
    for key in report.signed_by:
        print(f"Signed by key sha256:{key.fingerprint} (key id {key.key_id})")
    if report.pin is None:
        print("Trust: NOT PINNED. The key came from the bundle itself: this shows the bundle is intact and "
              "consistent under that key, not who signed it. Compare the fingerprint above with the published key "
              "(GET /ledger/keys, field fingerprint), or run again with --key.")
    else:
        print(f"Trust: pinned to {report.pin.source}")
        if report.pin.weak:
            print("Note: a 4-byte key id is a weak pin (a key can be ground to match it); pin the PEM file, the "
                  "fingerprint or the /ledger/keys URL for full strength.")


if __name__ == "__main__":
    sys.exit(main())
