"""Trace store benchmark: Oxigraph store vs rdflib (adapter and plain graph with SPARQL).

Builds a realistic trace graph (stakeholder -> system -> software/ML -> dataset requirements
with ASILs QM..D, tests, datasets, model versions, deployments, evidence on verification links,
reviews, suspect links) and measures, in one run, bulk load, the full coverage/gap report,
forward/backward/impact traces, reopening the persisted store, size on disk, and whether every
store gives the same answers as the domain's reference ``TraceGraph``.

The baseline is rdflib's plain in-memory ``Graph`` holding the same triples and running the
same SPARQL the Oxigraph store runs; queries that exceed the cut-off are reported as such.

    .venv/bin/python benchmarks/trace_bench.py            # 10,000 / 50,000 / 200,000
    .venv/bin/python benchmarks/trace_bench.py --quick    # small sizes, seconds
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edgedeploy.adapters.rdf import OxigraphTraceStore, RdflibTraceStore, queries
from edgedeploy.adapters.rdf import vocabulary as v
from edgedeploy.application.ports.trace_store import TraceChange
from edgedeploy.domain.coverage import assess_coverage
from edgedeploy.domain.requirements import (
    Artifact,
    ArtifactKind,
    ItemId,
    Requirement,
    RequirementLevel,
    TraceItem,
)
from edgedeploy.domain.safety import ASIL, DecomposedAsil
from edgedeploy.domain.trace_graph import TraceGraph
from edgedeploy.domain.traceability import (
    Evidence,
    EvidenceKind,
    Relation,
    TraceLink,
    Verdict,
    VerificationMethod,
)

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
GOALS = {
    "load": 5.0,
    "gap": 0.5,
    "walk": 0.05,
    "reopen": 0.1,
    "disk": 50.0,
}

# --------------------------------------------------------------------------- the graph


def build_graph(n_req: int, n_art: int, n_links: int,
                seed: int = 26262) -> tuple[list[TraceItem], list[TraceLink]]:
    """A V-model trace graph of about the requested sizes (links are exact unless too few)."""
    rng = random.Random(seed)
    levels = [(RequirementLevel.STAKEHOLDER, 0.02), (RequirementLevel.SYSTEM, 0.10),
              (RequirementLevel.SOFTWARE, 0.18), (RequirementLevel.ML, 0.50),
              (RequirementLevel.DATASET, 0.20)]
    by_level: list[list[Requirement]] = []
    items: list[TraceItem] = []
    links: dict[tuple[str, Relation, str], TraceLink] = {}
    asil_weights = [(ASIL.QM, 2), (ASIL.A, 2), (ASIL.B, 2.5), (ASIL.C, 2), (ASIL.D, 1.5)]
    counter = 0
    for depth, (level, share) in enumerate(levels):
        layer: list[Requirement] = []
        for _ in range(max(1, round(n_req * share))):
            counter += 1
            rid = ItemId(f"{level.value.upper()[:3]}-{counter:06d}")
            parent = rng.choice(by_level[-1]) if depth else None
            asil = rng.choices([a for a, _ in asil_weights], [w for _, w in asil_weights])[0]
            decomposition = None
            if parent is not None:
                roll = rng.random()
                if roll < 0.75:
                    asil = parent.asil
                elif parent.asil.rank >= ASIL.B.rank and roll < 0.90:
                    asil = ASIL.from_rank(parent.asil.rank // 2)
                    if asil.is_safety_relevant:
                        decomposition = DecomposedAsil(asil, parent.asil)
                    else:
                        asil = parent.asil
            req = Requirement(
                rid, f"{level.value} requirement {counter}", asil,
                text=f"<xhtml:div>The item <b>shall</b> meet {rid} within 120 ms.</xhtml:div>",
                level=level, version=rng.randint(1, 4), decomposition=decomposition,
                parent=None if parent is None else parent.id,
                position=len(layer), attributes=(("ReqIF.ForeignID", str(counter)),))
            layer.append(req)
            items.append(req)
            if parent is not None:
                relation = Relation.REFINES if rng.random() < 0.2 else Relation.DERIVES
                links[(parent.id, relation, rid)] = TraceLink(
                    parent.id, relation, rid, _reviews(rng, parent.asil, 0.15))
        by_level.append(layer)
    requirements = [r for layer in by_level for r in layer]
    lower = [r for layer in by_level[2:] for r in layer] or requirements

    kinds = [(ArtifactKind.TEST, 0.50), (ArtifactKind.DATASET, 0.10),
             (ArtifactKind.MODEL, 0.25), (ArtifactKind.DEPLOYMENT, 0.15)]
    pools: dict[ArtifactKind, list[ItemId]] = {}
    for kind, share in kinds:
        pool = []
        for i in range(max(1, round(n_art * share))):
            aid = ItemId(f"{kind.value}-{i:06d}" if kind is not ArtifactKind.MODEL
                         else f"detector-{i // 8:05d}@1.{i % 8}.0")
            pool.append(aid)
            items.append(Artifact(aid, kind, f"{kind.value} {i}",
                                  digest=f"sha256:{rng.getrandbits(256):064x}"))
        pools[kind] = pool

    remaining = max(0, n_links - len(links))
    plan = [(Relation.VERIFIED_BY, 0.45), (Relation.SATISFIED_BY, 0.25),
            (Relation.IMPLEMENTED_BY, 0.15), (Relation.DEPLOYED_AS, 0.15)]
    for relation, share in plan:
        target = len(links) + round(remaining * share)
        attempts = 0
        while len(links) < min(target, n_links) and attempts < 20 * n_links:
            attempts += 1
            if relation is Relation.DEPLOYED_AS:
                source = rng.choice(pools[ArtifactKind.MODEL])
                tgt = rng.choice(pools[ArtifactKind.DEPLOYMENT])
                asil = ASIL.QM
            else:
                req = rng.choice(lower)
                source, asil = req.id, req.asil
                if relation is Relation.VERIFIED_BY:
                    tgt = rng.choice(pools[ArtifactKind.TEST])
                elif relation is Relation.SATISFIED_BY:
                    tgt = rng.choice(pools[rng.choice([ArtifactKind.DATASET,
                                                       ArtifactKind.MODEL])])
                else:
                    tgt = rng.choice(pools[ArtifactKind.MODEL])
            key = (source, relation, tgt)
            if key in links:
                continue
            evidence: tuple[Evidence, ...] = ()
            if relation is Relation.VERIFIED_BY:
                evidence = _verification(rng) + _reviews(rng, asil, 0.3)
            elif relation is Relation.DEPLOYED_AS and rng.random() < 0.2:
                evidence = (Evidence(EvidenceKind.REPORT, Verdict.PASSED, "release-bot",
                                     T0 + timedelta(hours=rng.randint(0, 5000)),
                                     artifact_digest=f"sha256:{rng.getrandbits(256):064x}"),)
            links[key] = TraceLink(source, relation, tgt, evidence,
                                   suspect=rng.random() < 0.02)
    return items, list(links.values())


def _verification(rng: random.Random) -> tuple[Evidence, ...]:
    records = []
    when = T0 + timedelta(hours=rng.randint(0, 5000))
    method = rng.choice([VerificationMethod.TEST, VerificationMethod.TEST,
                         VerificationMethod.SIMULATION, VerificationMethod.FAULT_INJECTION,
                         VerificationMethod.BACK_TO_BACK])
    for _ in range(rng.choice([1, 1, 2, 3])):
        when += timedelta(hours=rng.randint(1, 200))
        verdict = Verdict.PASSED if rng.random() < 0.9 else rng.choice([Verdict.FAILED,
                                                                        Verdict.INCONCLUSIVE])
        kind = EvidenceKind.ANALYSIS if rng.random() < 0.1 else EvidenceKind.TEST_RESULT
        records.append(Evidence(kind, verdict, rng.choice(["ci@hil-1", "ci@sil-2"]), when,
                                artifact_digest=f"sha256:{rng.getrandbits(256):064x}",
                                method=VerificationMethod.ANALYSIS if kind is
                                EvidenceKind.ANALYSIS else method))
    return tuple(records)


def _reviews(rng: random.Random, asil: ASIL, share: float) -> tuple[Evidence, ...]:
    if rng.random() >= share:
        return ()
    return (Evidence(EvidenceKind.REVIEW, Verdict.PASSED,
                     rng.choice(["a.kowalski", "m.tanaka", "s.okafor"]),
                     T0 + timedelta(hours=rng.randint(0, 6000)),
                     independent=asil.rank >= ASIL.C.rank and rng.random() < 0.8),)


# --------------------------------------------------------------------------- measuring


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass
class Timed:
    """Latencies of one operation, or the fact that it ran past the cut-off."""

    samples: list[float] = field(default_factory=list)
    exceeded: float | None = None

    def p(self, q: float) -> float | None:
        return None if self.exceeded is not None or not self.samples else pct(self.samples, q)

    def show(self, q: float) -> str:
        if self.exceeded is not None:
            return f"> {self.exceeded:.0f} s cut-off"
        value = self.p(q)
        return "-" if value is None else fmt_s(value)


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def timed(fn: Callable[[], Any], repeat: int) -> tuple[Timed, Any]:
    out = Timed()
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        out.samples.append(time.perf_counter() - start)
    return out, result


def _child(conn: Any, jobs: list[tuple[str, str]], graph: Any) -> None:
    for name, query in jobs:
        start = time.perf_counter()
        rows = list(graph.query(query))
        conn.send((name, time.perf_counter() - start, len(rows)))
    conn.send(None)


def run_with_cutoff(graph: Any, jobs: list[tuple[str, str]], cutoff: float,
                    ) -> dict[str, Timed]:
    """Run SPARQL jobs on an rdflib graph in a forked process, stopping at ``cutoff`` seconds.

    Forking shares the loaded graph with the child, and killing the child is the only way to
    stop an rdflib query that runs too long.
    """
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, jobs, graph))
    proc.start()
    child.close()
    results: dict[str, Timed] = {name: Timed() for name, _ in jobs}
    deadline = time.perf_counter() + cutoff
    done = False
    while not done:
        left = deadline - time.perf_counter()
        if left <= 0 or not parent.poll(left):
            break
        msg = parent.recv()
        if msg is None:
            done = True
        else:
            results[msg[0]].samples.append(msg[1])
    if not done:
        proc.kill()
        for timing in results.values():
            if len(timing.samples) < sum(1 for n, _ in jobs if results[n] is timing):
                timing.exceeded = cutoff
    proc.join()
    return results


def du_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


# --------------------------------------------------------------------------- the run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requirements", type=int, default=10_000)
    parser.add_argument("--artifacts", type=int, default=50_000)
    parser.add_argument("--links", type=int, default=200_000)
    parser.add_argument("--quick", action="store_true", help="500 / 2,500 / 10,000")
    parser.add_argument("--roots", type=int, default=50, help="sampled roots per walk")
    parser.add_argument("--repeat", type=int, default=20, help="gap report repetitions")
    parser.add_argument("--cutoff", type=float, default=60.0,
                        help="seconds the rdflib SPARQL baseline may take per batch")
    parser.add_argument("--markdown", type=Path, help="write the results section here")
    args = parser.parse_args(argv)
    if args.quick:
        args.requirements, args.artifacts, args.links = 500, 2_500, 10_000
        args.cutoff = min(args.cutoff, 20.0)

    load_before = os.getloadavg()[0]
    print(f"building graph: {args.requirements} requirements, {args.artifacts} artifacts, "
          f"{args.links} links", flush=True)
    items, links = build_graph(args.requirements, args.artifacts, args.links)
    change = TraceChange(items=items, links=links)
    reference = TraceGraph(items, links)
    n_evidence = sum(len(link.evidence) for link in links)
    print(f"  {len(items)} items, {len(links)} links, {n_evidence} evidence records",
          flush=True)
    # The input graph and its reference analysis are millions of long-lived Python objects that
    # a service would not hold; keep the collector from re-scanning them during every measure.
    gc.collect()
    gc.freeze()

    rng = random.Random(7)
    req_ids = [i.id for i in items if isinstance(i, Requirement)]
    art_ids = [i.id for i in items if isinstance(i, Artifact)]
    fwd_roots = rng.sample(req_ids, min(args.roots, len(req_ids)))
    bwd_roots = rng.sample(art_ids, min(args.roots, len(art_ids)))
    imp_roots = rng.sample(req_ids, min(args.roots, len(req_ids)))

    rows: dict[str, dict[str, str]] = {}
    ratios: dict[str, str] = {}
    identical: list[str] = []
    workdir = Path(tempfile.mkdtemp(prefix="trace-bench-"))
    try:
        # ---------------------------------------------------------------- Oxigraph
        path = workdir / "oxigraph"
        print("oxigraph: bulk load", flush=True)
        start = time.perf_counter()
        ox = OxigraphTraceStore(path)
        ox.bulk_import(change)
        ox.flush()
        ox_load = time.perf_counter() - start
        disk = du_mb(path)
        n_triples = len(ox.store)
        ox_gap, ox_facts = timed(lambda: assess_coverage(ox.coverage_facts()), args.repeat)
        ox_fwd = Timed([_t(partial(ox.forward, r)) for r in fwd_roots])
        ox_bwd = Timed([_t(partial(ox.backward, r)) for r in bwd_roots])
        ox_imp = Timed([_t(partial(ox.impact, r)) for r in imp_roots])
        ox.close()
        del ox
        start = time.perf_counter()
        ox = OxigraphTraceStore(path)
        ox.forward(fwd_roots[0])
        reopen = time.perf_counter() - start

        print("oxigraph: atomic apply of the same change into a fresh store", flush=True)
        start = time.perf_counter()
        ox_atomic = OxigraphTraceStore(workdir / "oxigraph-atomic")
        ox_atomic.apply(change)
        atomic_load = time.perf_counter() - start
        ox_atomic.close()

        # ---------------------------------------------------------------- answers
        print("checking answers against the domain reference", flush=True)
        ref_facts = reference.coverage_facts()
        same = ox.coverage_facts() == ref_facts and all(
            ox.forward(r) == reference.forward(r) for r in fwd_roots) and all(
            ox.backward(r) == reference.backward(r) for r in bwd_roots) and all(
            ox.impact(r) == reference.impact(r) for r in imp_roots)
        identical.append(f"Oxigraph store = reference: {'yes' if same else 'NO'}")

        # ---------------------------------------------------------------- rdflib adapter
        print("rdflib adapter: load", flush=True)
        rl_load, rl_gap, rl_fwd, rl_bwd, rl_imp, same_rl, same_links, n_keys = measure_rdflib(
            change, reference, ox, fwd_roots, bwd_roots, imp_roots, args.repeat, rng)
        identical.append(f"rdflib adapter = reference: {'yes' if same_rl else 'NO'}")
        identical.append(f"links with evidence, sample of {n_keys}, Oxigraph = rdflib = "
                         f"input: {'yes' if same_links else 'NO'}")

        # ---------------------------------------------------------------- rdflib plain graph
        print("rdflib plain Graph: parse N-Triples", flush=True)
        from rdflib import Graph

        # The baseline holds the store's own (compact) triples, so it runs the same SPARQL.
        data = ox.store.dump(format=ox._ox.RdfFormat.N_TRIPLES, from_graph=ox._default)
        start = time.perf_counter()
        plain = Graph()
        plain.parse(data=data, format="nt")
        plain_load = time.perf_counter() - start
        del data
        print(f"rdflib plain Graph: SPARQL with a {args.cutoff:.0f} s cut-off per batch",
              flush=True)
        gap_jobs = [(f"gap:{name}", q) for name, q in queries.coverage_queries().items()]
        gap = run_with_cutoff(plain, gap_jobs, args.cutoff)
        plain_gap = Timed()
        if any(t.exceeded is not None for t in gap.values()):
            plain_gap.exceeded = args.cutoff
        else:
            plain_gap.samples.append(sum(t.samples[0] for t in gap.values()))
        walks = {
            "forward": [("forward", queries.forward_query(v.item_iri(r))) for r in fwd_roots],
            "backward": [("backward", queries.backward_query(v.item_iri(r)))
                         for r in bwd_roots],
            "impact": [("impact", queries.forward_query(v.item_iri(r), with_kinds=True))
                       for r in imp_roots],
        }
        plain_walk = {name: run_with_cutoff(plain, jobs, args.cutoff)[name]
                      for name, jobs in walks.items()}
        del plain

        # ---------------------------------------------------------------- table
        def ratio(base: Timed, ours: Timed, q: float) -> str:
            b, o = base.p(q), ours.p(q)
            if o is None or o == 0:
                return "-"
            if base.exceeded is not None:
                return f"> {base.exceeded / o:,.0f}x"
            return "-" if b is None else f"{b / o:,.1f}x"

        load_t = Timed([ox_load])
        rows = {
            "bulk load (s)": {"goal": "< 5 s", "ox": fmt_s(ox_load), "rl": fmt_s(rl_load),
                              "plain": fmt_s(plain_load)},
            "load as one atomic apply": {"goal": "-", "ox": fmt_s(atomic_load), "rl": "-",
                                         "plain": "-"},
            "gap report p50": {"goal": "-", "ox": ox_gap.show(0.5), "rl": rl_gap.show(0.5),
                               "plain": plain_gap.show(0.5)},
            "gap report p95": {"goal": "< 500 ms", "ox": ox_gap.show(0.95),
                               "rl": rl_gap.show(0.95), "plain": plain_gap.show(0.95)},
            "forward p95": {"goal": "< 50 ms", "ox": ox_fwd.show(0.95), "rl": rl_fwd.show(0.95),
                            "plain": plain_walk["forward"].show(0.95)},
            "backward p95": {"goal": "< 50 ms", "ox": ox_bwd.show(0.95),
                             "rl": rl_bwd.show(0.95), "plain": plain_walk["backward"].show(0.95)},
            "impact p95": {"goal": "< 50 ms", "ox": ox_imp.show(0.95), "rl": rl_imp.show(0.95),
                           "plain": plain_walk["impact"].show(0.95)},
            "reopen + first query": {"goal": "< 100 ms", "ox": fmt_s(reopen), "rl": "-",
                                     "plain": "-"},
            "size on disk": {"goal": "< 50 MB", "ox": f"{disk:.1f} MB", "rl": "-", "plain": "-"},
        }
        ratios = {
            "bulk load (s)": ratio(Timed([plain_load]), load_t, 0.5),
            "gap report p50": ratio(plain_gap, ox_gap, 0.5),
            "gap report p95": ratio(plain_gap, ox_gap, 0.95),
            "forward p95": ratio(plain_walk["forward"], ox_fwd, 0.95),
            "backward p95": ratio(plain_walk["backward"], ox_bwd, 0.95),
            "impact p95": ratio(plain_walk["impact"], ox_imp, 0.95),
        }
        gaps = len(ox_facts.gaps) if ox_facts is not None else 0
        ox.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    verdicts = {
        "bulk load (s)": ox_load < GOALS["load"],
        "gap report p95": (ox_gap.p(0.95) or 1e9) < GOALS["gap"],
        "forward p95": (ox_fwd.p(0.95) or 1e9) < GOALS["walk"],
        "backward p95": (ox_bwd.p(0.95) or 1e9) < GOALS["walk"],
        "impact p95": (ox_imp.p(0.95) or 1e9) < GOALS["walk"],
        "reopen + first query": reopen < GOALS["reopen"],
        "size on disk": disk < GOALS["disk"],
    }
    machine = (f"{platform.platform()}, {os.cpu_count()} CPU cores, Python "
               f"{platform.python_version()}; 1-minute load average {load_before:.1f} at the "
               f"start and {os.getloadavg()[0]:.1f} at the end of the run")
    header = ("| measure | goal | Oxigraph store | rdflib adapter | rdflib Graph + SPARQL "
              "(baseline) | baseline / Oxigraph | goal met |")
    lines = [header, "|---|---|---|---|---|---|---|"]
    for name, row in rows.items():
        met = verdicts.get(name)
        shown = "-" if met is None else "yes" if met else "NO"
        lines.append(f"| {name} | {row['goal']} | {row['ox']} | {row['rl']} | {row['plain']} | "
                     f"{ratios.get(name, '-')} | {shown} |")
    summary = [
        f"graph: {len(items)} items ({args.requirements} requirements), {len(links)} links, "
        f"{n_evidence} evidence records, {n_triples} triples; {gaps} gaps found by the gap "
        "report",
        f"Oxigraph on disk: {disk * 1e6 / max(n_triples, 1):.0f} bytes per triple; bulk load "
        f"rate {n_triples / max(ox_load, 1e-9):,.0f} triples/s",
        *identical,
    ]
    command = ".venv/bin/python benchmarks/trace_bench.py " + " ".join(
        sys.argv[1:] if argv is None else argv)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(_markdown(command.strip(), machine, summary, lines, args))
    print()
    print(f"machine: {machine}")
    for line in summary:
        print(line)
    print()
    for line in lines:
        print(line)
    return 0


def measure_rdflib(change: TraceChange, reference: TraceGraph, ox: OxigraphTraceStore,
                   fwd_roots: list[ItemId], bwd_roots: list[ItemId], imp_roots: list[ItemId],
                   repeat: int, rng: random.Random) -> tuple[Any, ...]:
    """Load and query the rdflib adapter; its graph is freed when this returns."""
    start = time.perf_counter()
    rl = RdflibTraceStore()
    rl.apply(change)
    load = time.perf_counter() - start
    gap, _ = timed(lambda: assess_coverage(rl.coverage_facts()), max(3, repeat // 4))
    fwd = Timed([_t(partial(rl.forward, r)) for r in fwd_roots])
    bwd = Timed([_t(partial(rl.backward, r)) for r in bwd_roots])
    imp = Timed([_t(partial(rl.impact, r)) for r in imp_roots])
    same = rl.coverage_facts() == reference.coverage_facts() and all(
        rl.forward(r) == reference.forward(r) for r in fwd_roots) and all(
        rl.backward(r) == reference.backward(r) for r in bwd_roots) and all(
        rl.impact(r) == reference.impact(r) for r in imp_roots)
    keys = sorted(rng.sample(sorted(reference.links), min(500, len(reference.links))))
    same_links = all(ox.get_link(k) == rl.get_link(k) == reference.links[k] for k in keys)
    rl.close()
    return load, gap, fwd, bwd, imp, same, same_links, len(keys)


def _t(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _markdown(command: str, machine: str, summary: list[str], table: list[str],
              args: argparse.Namespace) -> str:
    return "\n".join([
        "## Trace store",
        "",
        "What a release gate and an auditor ask of the trace graph, measured on the Oxigraph",
        "store (the default), on the rdflib adapter, and on rdflib's plain in-memory `Graph`",
        "running the same SPARQL as the Oxigraph store (the baseline; a batch that runs past",
        f"the {args.cutoff:.0f} s cut-off is reported as exceeding it). Walks are timed over",
        f"{args.roots} sampled roots each, the gap report (`coverage_facts()` over every",
        f"requirement plus `assess_coverage`) {args.repeat} times.",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {machine} (shared with other work while measuring).",
        "",
        *[f"- {line}" for line in summary],
        "",
        *table,
        "",
        "Bulk load is `OxigraphTraceStore.bulk_import` (validated like `apply`, then Oxigraph's",
        "bulk loader; not atomic) followed by `flush()` (flush + compaction). \"Load as one",
        "atomic apply\" writes the same change through `apply`, as one SPARQL update in one",
        "transaction. Size on disk is measured after compaction. The baseline's load is",
        "rdflib parsing an N-Triples dump of the store's own (compact internal) triples, so that",
        "it runs exactly the store's SPARQL.",
        "",
    ])


if __name__ == "__main__":
    raise SystemExit(main())
