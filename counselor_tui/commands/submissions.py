"""``submission compile|narrative|finalize|export|verify|consolidate|list|fingerprint``
(DESIGN §8, §9).

Automation contract:

* ``submission compile --period YYYY-MM|YYYY-Qn|YYYY [--scope bureau|UNITCODE] [--json]
  [--plaintext] [--preview]`` compiles the period into the current draft (``--preview``:
  store nothing; what an auditor may run) and prints the suppressed tables (small counts
  as markers, no names) — as JSON with ``--json``, else as text. ``--plaintext`` prints the
  exact counts instead (the document as JSON with ``--json``), warns on stderr, is audited
  and is refused for auditors and counselors (exit 2). Periods before 2000 or not
  started yet are refused; the current month compiles as a *running month* (said in the
  document's title). An empty ``--scope ""`` is refused (exit 2), never read as the bureau.
* ``finalize`` and ``export`` refuse a period that has not ended yet (exit 2); ``export``
  refuses to replace a package file already in DIR (exit 2, naming the file).
* ``submission narrative --period … [--scope …] [--highlights-file F] [--problems-file F]
  [--plan-file F]`` stores the narrative of the draft (UTF-8 text files).
* ``submission finalize --period … [--scope …] [--classification LEVEL]
  [--classification-years N] [--allow-incomplete]`` freezes the latest draft with the 密级
  and 保密期限 chosen (default: those of the version it replaces — a correction never lowers
  the 密级 silently — else the settings); prints its SHA-256. Refused (exit 2, naming
  what is missing) while 主送机关, 签发人 or the 发文字号 pattern is unset, unless
  ``--allow-incomplete`` (then a warning on stderr names them).
* ``submission export --period … [--scope …] --out DIR [--package-passphrase-file F]`` writes
  the signed, encrypted package of the latest final version into DIR; without a passphrase
  file a password is generated and printed once on stdout (``password: …``).
* ``submission verify PACKAGE [--package-passphrase-file F] [--expect-fingerprint HEX …]``
  needs no vault; exits 0 only when the password opens the package, the signature and
  every hash check, and the signer is known: one of the ``--expect-fingerprint`` values
  when given, else on the trust list of the vault opened with ``--user`` (or that vault's
  own key); prints ``signer fingerprint: HEX``. Exit 2: wrong password or damaged file; 1:
  altered, or a signer that is unknown (without ``--user`` and ``--expect-fingerprint``
  every signer is unknown).
* ``submission trust add HEX --name NAME | list | remove HEX``: the vault's trust list of
  package signers (coordinators only; audited).
* ``submission consolidate PKG… [--package-passphrase-file F] [--expect-fingerprint HEX …]
  [--out DIR] [--out-passphrase-file F] [--json] [--plaintext]`` verifies every package and
  stores one consolidated draft of their period; with ``--out`` it is finalized and
  exported there. ``--json`` prints the suppressed tables; ``--plaintext`` (with
  ``--json``) the exact document, as for ``compile``: warned, audited, refused for auditors.
  Every signer must be on the trust list (or be this vault's key) and, when given, one of
  the ``--expect-fingerprint`` values; otherwise exit 2 naming the package and signer.
  The passphrase file holds either one line (the same password for every package) or one
  line per package, in the order the packages are given.
* ``submission list [--period …] [--scope …]``, ``submission fingerprint``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from counselor_tui.commands import common
from counselor_tui.i18n import _
from counselor_tui.reports import input_limits as limits
from counselor_tui.reports.document import canonical_bytes
from counselor_tui.reports.view import DocumentView, build, scope_label
from counselor_tui.services import filing, lifecycle, plain_output, submissions, trusted_signers
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import NotFound


def register(sub: Any) -> None:
    """Add ``submission …`` to the sub-parser collection ``sub``."""
    p = sub.add_parser("submission", help=_("periodic submissions to the higher bureau"))
    actions = p.add_subparsers(dest="submission_command", metavar="ACTION", required=True)

    def period_scope(parser: argparse.ArgumentParser, *, consolidated: bool = True) -> None:
        parser.add_argument("--period", required=True, metavar="PERIOD",
                            help=_("YYYY-MM, YYYY-Qn or YYYY"))
        parser.add_argument("--scope", default="bureau", metavar="SCOPE", type=_scope,
                            help=_("'bureau' (default), a unit code, or 'consolidated'")
                            if consolidated else _("'bureau' (default) or a unit code"))

    def incomplete(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--allow-incomplete", action="store_true",
                            help=_("finalize even when the addressee (主送机关), signer "
                                   "(签发人) or document number pattern is not set"))

    c = actions.add_parser("compile", help=_("compile a period into its draft"))
    period_scope(c, consolidated=False)
    c.add_argument("--json", action="store_true",
                   help=_("print the suppressed tables as JSON"))
    c.add_argument("--plaintext", action="store_true",
                   help=_("print exact, unsuppressed counts (coordinators and admins; "
                          "warns on stderr)"))
    c.add_argument("--preview", action="store_true", help=_("compile without storing a draft"))
    c.set_defaults(handler=cmd_compile)

    n = actions.add_parser("narrative", help=_("store the narrative of the draft"))
    period_scope(n)
    for field in ("highlights", "problems", "plan"):
        n.add_argument(f"--{field}-file", metavar="FILE", help=_("UTF-8 text file"))
    n.set_defaults(handler=cmd_narrative)

    f = actions.add_parser("finalize", help=_("freeze the latest draft"))
    period_scope(f)
    f.add_argument("--classification", metavar="LEVEL",
                   help=_("秘密, 机密, 绝密 or \"\" (not classified); default: that of the "
                          "version it replaces, else the setting"))
    f.add_argument("--classification-years", metavar="YEARS", type=_years,
                   help=_("classification term (保密期限) in years, 0–30 (0: the statutory "
                          "term); default: that of the version it replaces, else the "
                          "setting"))
    incomplete(f)
    f.set_defaults(handler=cmd_finalize)

    e = actions.add_parser("export", help=_("write the signed, encrypted package"))
    period_scope(e)
    e.add_argument("--out", required=True, metavar="DIR", help=_("folder for the package"))
    e.add_argument("--package-passphrase-file", metavar="FILE",
                   help=_("package password (first line); generated when not given"))
    e.set_defaults(handler=cmd_export)

    v = actions.add_parser("verify", help=_("check a package's password, hashes and signature"))
    v.add_argument("package", metavar="PACKAGE")
    v.add_argument("--package-passphrase-file", metavar="FILE",
                   help=_("package password (first line)"))
    v.add_argument("--expect-fingerprint", action="append", metavar="HEX",
                   help=_("fingerprint of an expected signer (repeatable)"))
    v.set_defaults(handler=cmd_verify)

    t = actions.add_parser("trust", help=_("the trust list of package signers"))
    trust = t.add_subparsers(dest="trust_command", metavar="ACTION", required=True)
    ta = trust.add_parser("add", help=_("trust a signer (compare its fingerprint first)"))
    ta.add_argument("fingerprint", metavar="HEX")
    ta.add_argument("--name", required=True, metavar="NAME",
                    help=_("the bureau or unit the signer belongs to"))
    ta.set_defaults(handler=cmd_trust_add)
    tl = trust.add_parser("list", help=_("list the trusted signers"))
    tl.set_defaults(handler=cmd_trust_list)
    tr = trust.add_parser("remove", help=_("stop trusting a signer"))
    tr.add_argument("fingerprint", metavar="HEX")
    tr.set_defaults(handler=cmd_trust_remove)

    k = actions.add_parser("consolidate", help=_("one submission from several packages"))
    k.add_argument("packages", nargs="+", metavar="PKG")
    k.add_argument("--package-passphrase-file", metavar="FILE",
                   help=_("one password for all, or one line per package in order"))
    k.add_argument("--expect-fingerprint", action="append", metavar="HEX",
                   help=_("fingerprint of an expected signer (repeatable)"))
    k.add_argument("--out", metavar="DIR", help=_("finalize and export the result here"))
    k.add_argument("--out-passphrase-file", metavar="FILE",
                   help=_("password of the new package; generated when not given"))
    incomplete(k)
    k.add_argument("--json", action="store_true",
                   help=_("print the suppressed tables as JSON"))
    k.add_argument("--plaintext", action="store_true",
                   help=_("print exact, unsuppressed counts (coordinators and admins; "
                          "warns on stderr)"))
    k.set_defaults(handler=cmd_consolidate)

    s = actions.add_parser("list", help=_("list stored versions"))
    s.add_argument("--period", metavar="PERIOD")
    s.add_argument("--scope", metavar="SCOPE")
    s.set_defaults(handler=cmd_list)

    g = actions.add_parser("fingerprint", help=_("print this vault's signing fingerprint"))
    g.set_defaults(handler=cmd_fingerprint)


def _scope(text: str) -> str:
    """``--scope``: refuse an empty value (it is never read as the bureau)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            _("the scope is empty: give 'bureau' or the code of a unit"))
    return text.strip()


def _years(text: str) -> int:
    """``--classification-years``: a whole number of years, 0–30."""
    try:
        years = int(text)
    except ValueError:
        years = -1
    if not 0 <= years <= 30:
        raise argparse.ArgumentTypeError(_("give the classification term as a whole number "
                                           "of years from 0 (the statutory term) to 30"))
    return years


def _print_json(document: dict[str, Any]) -> None:
    sys.stdout.write(canonical_bytes(document).decode("utf-8"))
    sys.stdout.flush()


def print_view(view: DocumentView) -> None:
    """The document's tables as plain text (tab-separated cells)."""
    print(view.title)
    print(" · ".join(x for x in (view.issuer, view.scope, view.version_line) if x))
    for section in view.sections:
        print()
        print(f"{section.number}. {section.title}")
        for label, text in section.paragraphs:
            print(f"{label}: {text}")
        for table in section.tables:
            print(table.caption)
            for row in table.all_rows():
                print("\t".join(row))
    if view.footnote:
        print()
        print(view.footnote)


def _latest(vs: VaultSession, args: argparse.Namespace) -> submissions.SubmissionInfo:
    info = submissions.latest(vs, args.period, args.scope)
    if info is None:
        raise NotFound(_("No submission of {period} ({scope}) yet: run 'submission compile' "
                         "first.").format(period=args.period, scope=scope_label(args.scope)))
    return info


def cmd_compile(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        if args.plaintext:
            plain_output.allow_exact_output(vs, args.period, args.scope)
        if args.preview:
            document = submissions.preview(vs, args.period, args.scope)
        else:
            detail = submissions.compile_draft(vs, args.period, args.scope)
            document = detail.document
            common.info(_("Draft version {version} of {period} ({scope}) stored.").format(
                version=detail.info.version, period=detail.info.period_label,
                scope=scope_label(detail.info.scope)))
    finally:
        lifecycle.lock(vs, "quit")
    _print_document(document, args.json, args.plaintext, text=True)
    return 0


def _print_document(document: dict[str, Any], as_json: bool, plaintext: bool, *,
                    text: bool = False) -> None:
    """Print a submission document: the suppressed view (JSON with ``as_json``, else the
    tables as text when ``text``); with ``plaintext`` the exact counts instead, after the
    stderr warning (DESIGN §5: never exact counts without --plaintext and a warning)."""
    if plaintext:
        common.error(plain_output.plaintext_warning())
        if as_json:
            _print_json(document)
        elif text:
            print_view(build(document, exact=True))
    elif as_json:
        sys.stdout.write(plain_output.suppressed_json(document).decode("utf-8"))
        sys.stdout.flush()
    elif text:
        print_view(build(document))


def _read_text(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        return limits.read_regular_file(path, limits.NARRATIVE_FILE_BYTES).decode("utf-8-sig")
    except limits.InputRefused as exc:
        raise common.CommandError(str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise common.CommandError(_("Cannot read {path} ({error}).").format(
            path=path, error=getattr(exc, "strerror", None) or type(exc).__name__)) from None


def cmd_narrative(args: argparse.Namespace) -> int:
    texts = {key: _read_text(getattr(args, f"{key}_file"))
             for key in ("highlights", "problems", "plan")}
    vs = common.unlock(args)
    try:
        info = _latest(vs, args)
        current = submissions.get(vs, info.id).narrative
        merged = {k: (v if v is not None else current.get(k, "")) for k, v in texts.items()}
        submissions.save_narrative(vs, info.id, merged)
    finally:
        lifecycle.lock(vs, "quit")
    print(_("Narrative of version {version} saved.").format(version=info.version))
    return 0


def _warn_incomplete(missing: tuple[str, ...]) -> None:
    if missing:  # finalized with --allow-incomplete: say so, on stderr
        common.error(_("Finalized without the {elements}.").format(
            elements=_(", ").join(_(filing.REQUIRED[key]) for key in missing)))


def cmd_finalize(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        missing = filing.missing_elements(vs)
        info = submissions.finalize(vs, _latest(vs, args).id,
                                    classification=args.classification,
                                    classification_years=args.classification_years,
                                    allow_incomplete=args.allow_incomplete)
    finally:
        lifecycle.lock(vs, "quit")
    _warn_incomplete(missing)
    print(_("Version {version} of {period} ({scope}) is final.").format(
        version=info.version, period=info.period_label, scope=scope_label(info.scope)))
    print(f"sha256: {info.content_sha256}")
    print(f"audit head: {info.audit_head}")
    return 0


def _password_lines(path: str) -> list[str]:
    try:
        text = limits.read_regular_file(path, limits.SECRET_FILE_BYTES).decode("utf-8-sig")
        lines = [line.rstrip("\r") for line in text.split("\n")]
    except limits.InputRefused as exc:
        raise common.CommandError(str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise common.CommandError(_("Cannot read the passphrase file {path} ({error}).").format(
            path=path, error=getattr(exc, "strerror", None) or type(exc).__name__)) from None
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise common.CommandError(_("The passphrase file {path} is empty.").format(path=path))
    return lines


def _export_and_report(vs: VaultSession, submission_id: int, out: str,
                       password_file: str | None) -> None:
    password = _password_lines(password_file)[0] if password_file else None
    result = submissions.export(vs, submission_id, Path(out), password)
    print(_("package: {path}").format(path=result.path))
    print(_("signer fingerprint: {fingerprint}").format(fingerprint=result.fingerprint))
    if result.password is not None:
        print(_("password: {password}").format(password=result.password))
        common.info(_("The password is shown only this once: give it to the receiving office "
                      "by another channel than the package."))


def cmd_export(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        _export_and_report(vs, _latest(vs, args).id, args.out, args.package_passphrase_file)
    finally:
        lifecycle.lock(vs, "quit")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    if args.package_passphrase_file:
        password = _password_lines(args.package_passphrase_file)[0]
    else:
        password = common.read_secret(None, _("Package password: "),
                                      option="--package-passphrase-file")
    known: dict[str, str] | None = None
    own: list[str] = []
    if args.user:  # a vault was named: its trust list (and own key) are known signers
        vs = common.unlock(args)
        try:
            known = trusted_signers.known_signers(vs)
            own = trusted_signers.own_fingerprints(vs)
        finally:
            lifecycle.lock(vs, "quit")
    checked = trusted_signers.verify_known(Path(args.package), password,
                                           args.expect_fingerprint, known, own)
    result = checked.result
    manifest = result.manifest
    print(_("signer fingerprint: {fingerprint}").format(fingerprint=result.fingerprint))
    print(_("period: {period}  scope: {scope}  version: {version}").format(
        period=manifest["period"]["label"], scope=scope_label(manifest["scope"]["code"]),
        version=manifest.get("version")))
    print(_("verified: password, signature and {n} file hashes").format(
        n=len(manifest["files"])))
    if checked.basis == "expected":
        print(_("signer: expected"))
    elif checked.basis == "own":
        print(_("signer: this vault"))
    else:
        print(_("signer: trusted ({name})").format(name=checked.name))
    return 0


def cmd_trust_add(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        added = trusted_signers.add(vs, args.fingerprint, args.name)
    finally:
        lifecycle.lock(vs, "quit")
    print(_("Trusted: {fingerprint} ({name}).").format(fingerprint=added.fingerprint,
                                                       name=added.name))
    return 0


def cmd_trust_list(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        rows = trusted_signers.list_signers(vs)
    finally:
        lifecycle.lock(vs, "quit")
    for row in rows:
        added = _("this vault's own key") if row.own else _("added {at} by {user}").format(
            at=row.added_at[:16].replace("T", " "), user=row.added_by)
        print("\t".join((row.fingerprint, row.name, added)))
    return 0


def cmd_trust_remove(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        removed = trusted_signers.remove(vs, args.fingerprint)
    finally:
        lifecycle.lock(vs, "quit")
    print(_("No longer trusted: {fingerprint} ({name}).").format(
        fingerprint=removed.fingerprint, name=removed.name))
    return 0


def cmd_consolidate(args: argparse.Namespace) -> int:
    packages: list[str] = list(args.packages)
    if args.package_passphrase_file:
        lines = _password_lines(args.package_passphrase_file)
        if len(lines) == 1:
            passwords = lines * len(packages)
        elif len(lines) == len(packages):
            passwords = lines
        else:
            raise common.CommandError(_(
                "The passphrase file has {lines} lines for {n} packages: give one line for "
                "all, or one per package in order.").format(lines=len(lines), n=len(packages)))
    else:
        passwords = [common.read_secret(
            None, _("Password of {package}: ").format(package=p),
            option="--package-passphrase-file")
                     for p in packages]
    vs = common.unlock(args)
    try:
        if args.plaintext:
            plain_output.require_exact_reader(vs)
        detail = submissions.consolidate(
            vs, [(Path(p), pw) for p, pw in zip(packages, passwords, strict=True)],
            trusted_fingerprints=args.expect_fingerprint)
        common.info(_("Consolidated {n} packages into draft version {version} of {period}.")
                    .format(n=len(packages), version=detail.info.version,
                            period=detail.info.period_label))
        if args.out:
            missing = filing.missing_elements(vs)
            submissions.finalize(vs, detail.info.id, allow_incomplete=args.allow_incomplete)
            _warn_incomplete(missing)
            _export_and_report(vs, detail.info.id, args.out, args.out_passphrase_file)
        document = submissions.get(vs, detail.info.id).document
        if args.plaintext:
            plain_output.allow_exact_output(vs, detail.info.period_label, detail.info.scope)
    finally:
        lifecycle.lock(vs, "quit")
    _print_document(document, args.json, args.plaintext, text=args.plaintext)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        rows = submissions.list_versions(vs, args.period, args.scope)
    finally:
        lifecycle.lock(vs, "quit")
    for r in rows:
        print(json.dumps({
            "id": r.id, "period": r.period_label, "scope": r.scope, "version": r.version,
            "status": r.status, "sha256": r.content_sha256, "finalized_at": r.finalized_at,
            "replaces_version": r.replaces_version, "package": r.package_name,
        }, ensure_ascii=False))
    return 0


def cmd_fingerprint(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        print(submissions.fingerprint(vs))
    finally:
        lifecycle.lock(vs, "quit")
    return 0
