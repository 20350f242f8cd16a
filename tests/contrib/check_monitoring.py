#!/usr/bin/env python3
"""Checks contrib/grafana/cpns.json and contrib/prometheus/cpns-rules.yml
against the metrics the daemons export (issue 13).

The dashboard must parse, be of schemaVersion 36 or later, choose its
Prometheus through the `datasource` template variable (no datasource uid
written in), and use every metric of the list below. Every PromQL expression
of the dashboard (panels and template variables) and of the rules may name
only those metrics, Prometheus's own `up`, and the rules' recorded series.

  check_monitoring.py --dashboard FILE --rules FILE
  check_monitoring.py --selftest      # the checker refuses what it must
"""
import argparse
import json
import os
import re
import sys
import tempfile

import yaml

# Fixed by issue 13; a histogram also exports _bucket, _sum and _count.
COUNTERS_AND_GAUGES = {
    "cpns_build_info", "grpc_server_handled_total", "grpc_server_started_total",
    "cpns_first_seeds_issued_total", "cpns_auth_requests_total", "cpns_store_up",
    "cpns_eukey_assignments_total", "cpns_gateway_seed_epoch",
    "cpns_gateway_seed_expiry_timestamp_seconds", "cpns_gateway_upstream_up",
    "cpns_gateway_first_seed_requests_total",
}
HISTOGRAMS = {"grpc_server_handling_seconds", "cpns_store_operation_duration_seconds"}
EXPORTED = COUNTERS_AND_GAUGES | HISTOGRAMS
PROMETHEUS_OWN = {"up"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and",
            "or", "unless", "bool", "offset", "inf", "nan"}
DATASOURCE_REF = "${datasource}"


def metric_names(expr):
    """The series names an expression selects (not functions, labels, keywords)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)           # string literals
    e = re.sub(r"\{[^}]*\}", "", e)                           # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)                          # ranges
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\blabel_values\(([^,)]*),[^)]*\)", r"(\1)", e)  # Grafana's
    names = set()
    for m in re.finditer(r"(?<![\w$:.])([A-Za-z_:][\w:]*)(\s*\()?", e):
        if m.group(2) or m.group(1).lower() in KEYWORDS:
            continue
        names.add(m.group(1))
    return names


def known(name, recorded):
    if name in EXPORTED or name in PROMETHEUS_OWN or name in recorded:
        return True
    base = re.sub(r"_(bucket|sum|count)$", "", name)
    return base in HISTOGRAMS and base != name


def base_metric(name):
    base = re.sub(r"_(bucket|sum|count)$", "", name)
    return base if base in HISTOGRAMS else name


def dashboard_exprs(dash):
    """(where, expr) of every panel target and query variable, rows included."""
    def panels(ps):
        for p in ps:
            yield p
            yield from panels(p.get("panels", []))
    for p in panels(dash.get("panels", [])):
        for t in p.get("targets", []):
            yield f'panel "{p.get("title")}" {t.get("refId")}', t.get("expr", "")
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v.get("query")
            yield f'variable "{v.get("name")}"', q.get("query") if isinstance(q, dict) else q


def datasource_errors(node, where="dashboard"):
    """Every datasource reference must go through the template variable."""
    errors = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "datasource":
                uid = v.get("uid") if isinstance(v, dict) else v
                if uid != DATASOURCE_REF:
                    errors.append(f"{where}: datasource {json.dumps(v)} is not {DATASOURCE_REF}")
            else:
                errors += datasource_errors(v, node.get("title", where))
    elif isinstance(node, list):
        for v in node:
            errors += datasource_errors(v, where)
    return errors


def check_dashboard(dash, require_all=True):
    errors = []
    if dash.get("schemaVersion", 0) < 36:
        errors.append(f"schemaVersion {dash.get('schemaVersion')} is older than 36")
    variables = dash.get("templating", {}).get("list", [])
    if not any(v.get("name") == "datasource" and v.get("type") == "datasource"
               and v.get("query") == "prometheus" for v in variables):
        errors.append('no template variable "datasource" of type datasource for prometheus')
    errors += datasource_errors(dash)
    used = set()
    for where, expr in dashboard_exprs(dash):
        if not expr:
            errors.append(f"{where}: no expression")
            continue
        for name in metric_names(expr):
            used.add(base_metric(name))
            if not known(name, set()):
                errors.append(f"{where}: unknown metric {name} in {expr}")
    if require_all:
        for name in sorted(EXPORTED - used):
            errors.append(f"the dashboard shows nothing of {name}")
    return errors


def check_rules(rules):
    errors = []
    all_rules = [r for g in rules.get("groups", []) for r in g.get("rules", [])]
    recorded = {r["record"] for r in all_rules if "record" in r}
    for r in all_rules:
        where = f'rule {r.get("record") or r.get("alert")}'
        for name in metric_names(str(r.get("expr", ""))):
            if not known(name, recorded):
                errors.append(f"{where}: unknown metric {name}")
        if "alert" in r:
            if r.get("labels", {}).get("severity") not in ("critical", "warning", "info"):
                errors.append(f"{where}: no severity label")
            for a in ("summary", "description", "runbook"):
                if not r.get("annotations", {}).get(a):
                    errors.append(f"{where}: no {a} annotation")
    return errors


def slug(heading):
    """GitHub's anchor of a Markdown heading."""
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", heading.strip().lower()))


def check_runbooks(rules, root):
    """Every runbook annotation names a heading of an existing doc."""
    errors = []
    for g in rules.get("groups", []):
        for r in g.get("rules", []):
            runbook = r.get("annotations", {}).get("runbook")
            if not runbook:
                continue
            path, _, anchor = runbook.partition("#")
            try:
                with open(f"{root}/{path}", encoding="utf-8") as f:
                    text = f.read()
            except OSError as e:
                errors.append(f'alert {r.get("alert")}: runbook {runbook}: {e}')
                continue
            anchors = {slug(m) for m in re.findall(r"^#+\s+(.*)$", text, re.M)}
            if anchor not in anchors:
                errors.append(f'alert {r.get("alert")}: {path} has no heading for #{anchor}')
    return errors


def selftest():
    """The checker must refuse what it exists to refuse."""
    failures = []

    def expect(cond, what):
        if not cond:
            failures.append(what)

    expect(metric_names('histogram_quantile(0.99, sum by (op, le) (rate('
                        'cpns_store_operation_duration_seconds_bucket{op="x"}[5m])))')
           == {"cpns_store_operation_duration_seconds_bucket"}, "histogram quantile")
    expect(metric_names("(cpns_gateway_seed_expiry_timestamp_seconds{a=\"b\"} - time()) / 86400")
           == {"cpns_gateway_seed_expiry_timestamp_seconds"}, "arithmetic with time()")
    expect(metric_names('label_values(cpns_build_info{program="cpns-server"}, instance)')
           == {"cpns_build_info"}, "label_values")
    expect(metric_names("a / on (job, instance) b > 0.5 and on (job) c")
           == {"a", "b", "c"}, "binary operators with on()")
    ds = {"type": "prometheus", "uid": DATASOURCE_REF}
    good = {"schemaVersion": 39,
            "templating": {"list": [{"name": "datasource", "type": "datasource",
                                     "query": "prometheus"}]},
            "panels": [{"title": "p", "datasource": ds,
                        "targets": [{"refId": "A", "datasource": ds, "expr": "cpns_store_up"}]}]}
    expect(check_dashboard(good, require_all=False) == [], "a good dashboard is accepted")
    expect(check_dashboard(good), "a dashboard missing metrics is refused")
    bad = json.loads(json.dumps(good))
    bad["panels"][0]["targets"][0]["expr"] = "rate(cpns_seeds_total[5m])"
    expect(any("cpns_seeds_total" in e for e in check_dashboard(bad, False)), "unknown metric")
    bad = json.loads(json.dumps(good))
    bad["panels"][0]["datasource"] = {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}
    expect(any("P1809F7CD0C75ACF3" in e for e in check_dashboard(bad, False)), "fixed uid")
    bad = json.loads(json.dumps(good))
    bad["schemaVersion"] = 30
    bad["templating"]["list"] = []
    expect(len(check_dashboard(bad, False)) == 2, "old schema and no datasource variable")
    rules = {"groups": [{"rules": [
        {"record": "cpns:x:rate5m", "expr": "rate(cpns_store_up[5m])"},
        {"alert": "A", "expr": "cpns:x:rate5m > 1 and cpns_stor_up == 0",
         "annotations": {"summary": "s", "description": "d", "runbook": "r"}}]}]}
    errors = check_rules(rules)
    expect(any("cpns_stor_up" in e for e in errors), "unknown metric in a rule")
    expect(any("severity" in e for e in errors), "alert without severity")
    expect(not any("cpns:x:rate5m" in e for e in errors), "recorded series are known")
    expect(slug("### CpnsServerDown") != "cpnsserverdown" and slug("CpnsServerDown")
           == "cpnsserverdown" and slug("What to do, when") == "what-to-do-when", "slug")
    with tempfile.TemporaryDirectory() as root:
        os.mkdir(f"{root}/docs")
        with open(f"{root}/docs/X.md", "w", encoding="utf-8") as f:
            f.write("# X\n\n#### CpnsA\n")
        linked = {"groups": [{"rules": [
            {"alert": "A", "annotations": {"runbook": "docs/X.md#cpnsa"}},
            {"alert": "B", "annotations": {"runbook": "docs/X.md#cpnsb"}},
            {"alert": "C", "annotations": {"runbook": "docs/Y.md#cpnsc"}}]}]}
        errors = check_runbooks(linked, root)
        expect(len(errors) == 2 and "#cpnsb" in errors[0] and "Y.md" in errors[1],
               "runbook links to a missing heading or doc")
    for f in failures:
        print(f"selftest: the checker got wrong: {f}", file=sys.stderr)
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dashboard")
    ap.add_argument("--rules")
    ap.add_argument("--docs-root", help="check the rules' runbook links against the docs here")
    ap.add_argument("--selftest", action="store_true")
    args = ap.parse_args()
    if args.selftest:
        return selftest()
    errors = []
    if args.dashboard:
        with open(args.dashboard, encoding="utf-8") as f:
            errors += check_dashboard(json.load(f))
    if args.rules:
        with open(args.rules, encoding="utf-8") as f:
            rules = yaml.safe_load(f)
        errors += check_rules(rules)
        if args.docs_root:
            errors += check_runbooks(rules, args.docs_root)
    for e in errors:
        print(e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
