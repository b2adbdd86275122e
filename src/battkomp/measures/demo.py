"""Demo content for measures and the infrastructure register (called by ``battkomp.demo``).

Measures: the demo bundle's fictional measures (``engine/demo/measures.csv``), marked synthetic,
so the database exports the same measures the engine's demo runs with. Infrastructure: real
Norwegian battery labs with their public sources; where battkomp does not know a detail (access
terms), the text says so.

Everything is looked up by its natural key (a measure's title, a facility's name), so loading
twice adds nothing the second time.
"""

from __future__ import annotations

from typing import Any

#: Real battery research and test infrastructure, with public sources.
DEMO_INFRASTRUCTURE: tuple[dict[str, Any], ...] = (
    {
        "name": "SINTEF Battery Lab",
        "owner_name": "SINTEF",
        "kind": "lab",
        "region": "50",
        "place": "Trondheim (Sluppen)",
        "areas": [
            "electrochemistry",
            "materials_technology",
            "electrode_manufacturing",
            "cell_assembly",
            "formation_testing",
        ],
        "description": (
            "Battery lab opened in 2023: electrode preparation, cell assembly in a dry "
            "atmosphere, and electrochemical formation and testing of cells. Part-funded through "
            "the national research infrastructure NABLA."
        ),
        "access_terms": (
            "Research and industry projects by agreement with SINTEF (battkomp has not verified "
            "the terms; see the link)."
        ),
        "url": "https://www.sintef.no/siste-nytt/2023/ny-batterilab-skal-gi-fortrinn-mot-neste-geneasjon-batterier/",
        "source": (
            "https://www.sintef.no/siste-nytt/2023/ny-batterilab-skal-gi-fortrinn-mot-neste-"
            "geneasjon-batterier/; https://www.bestmag.co.uk/sintef-new-norwegian-national-"
            "battery-laboratory-will-reduce-dependency/"
        ),
    },
    {
        "name": "IFE battery cell laboratory",
        "owner_name": "Institutt for energiteknikk (IFE)",
        "kind": "pilot_line",
        "region": "32",
        "place": "Kjeller (Lillestrøm)",
        "areas": [
            "electrochemistry",
            "materials_technology",
            "electrode_manufacturing",
            "cell_assembly",
            "formation_testing",
            "recycling_hydrometallurgy",
        ],
        "description": (
            "A 500 m² laboratory for battery cell production at industrial scale, part of the "
            "national infrastructure Norwegian Advanced Battery Laboratory (NABLA). IFE's battery "
            "development laboratory (2020) covers material synthesis, electrode preparation, cell "
            "assembly and characterisation."
        ),
        "access_terms": (
            "Research and industry projects by agreement with IFE (battkomp has not verified the "
            "terms; see the link)."
        ),
        "url": "https://elmagasinet.no/nytt-battericelle-laboratorium/",
        "source": (
            "https://elmagasinet.no/nytt-battericelle-laboratorium/; https://ife.no/en/the-"
            "norwegian-minister-of-petroleum-and-energy-opened-ifes-new-battery-development-"
            "laboratorium/"
        ),
    },
    {
        "name": "NABLA – Norwegian Advanced Battery Laboratory",
        "owner_name": ("Institutt for energiteknikk (IFE) with UiO, NTNU, SINTEF, UiA and FFI"),
        "kind": "lab",
        "region": "32",
        "place": "Kjeller, with partner labs in Oslo, Trondheim, Grimstad and Kjeller (FFI)",
        "areas": [
            "electrochemistry",
            "cell_design",
            "materials_technology",
            "electrode_manufacturing",
            "cell_assembly",
            "formation_testing",
        ],
        "description": (
            "National research infrastructure for batteries funded by the Research Council of "
            "Norway with NOK 100 million; IFE is the project owner, with the University of Oslo, "
            "NTNU, SINTEF, the University of Agder and FFI as partners."
        ),
        "access_terms": (
            "A national research infrastructure: access for research groups and industry by "
            "agreement with the partners (assumption; battkomp has not verified the terms)."
        ),
        "url": "https://elmagasinet.no/nytt-battericelle-laboratorium/",
        "source": "https://elmagasinet.no/nytt-battericelle-laboratorium/",
    },
    {
        "name": "Morrow Research Centre (Battery Innovation Centre)",
        "owner": "Morrow Batteries ASA",
        "kind": "lab",
        "region": "42",
        "place": "Grimstad (University of Agder campus)",
        "areas": ["electrochemistry", "cell_design", "materials_technology", "formation_testing"],
        "description": (
            "Morrow's research centre for developing and industrialising new battery technology "
            "(e.g. LNMO cathodes and Li-S), with about 2000 m² on the ground floor and several "
            "floors of labs; described by Morrow as Norway's largest battery research centre when "
            "it opened in 2023."
        ),
        "access_terms": (
            "The company's own research and development (battkomp knows of no open access)."
        ),
        "url": "https://www.morrowbatteries.com/post/morrow-batteries-establishes-an-battery-innovation-centre-and-pilot-factory",
        "source": (
            "https://www.morrowbatteries.com/post/morrow-batteries-establishes-an-battery-"
            "innovation-centre-and-pilot-factory; https://news.morrowbatteries.com/pressreleases/"
            "new-milestone-reached-as-morrow-batteries-installs-dry-room-at-morrow-cell-factory-"
            "3267649"
        ),
    },
)


def _owner(text: str) -> Any:
    """The organisation a demo measure's owner text names (its name starts the text)."""
    from battkomp.organisations.models import Organisation

    for org in Organisation.objects.order_by("-name"):
        if text and text.startswith(org.name):
            return org
    return None


def load_demo_measures(inputs: Any) -> int:
    """The demo bundle's measures (if it has any), as synthetic measures. Returns how many were
    created."""
    from battkomp.measures.actions import do_save_measure
    from battkomp.measures.models import Measure

    if "measures" not in inputs.tables or "measure_targets" not in inputs.tables:
        return 0
    measures, targets = inputs["measures"], inputs["measure_targets"]
    created = 0
    for row in measures.iter_rows(named=True):
        if Measure.objects.filter(title=row["name"]).exists():
            continue
        own = targets.filter(targets["measure"] == row["id"])
        data = {k: row.get(k) for k in row if k not in {"id", "name", "owner", "status"}}
        data["title"] = row["name"]
        owner = _owner(str(row.get("owner") or ""))
        if owner is None and row.get("owner"):
            data["description"] = f"Owner: {row['owner']}"
        do_save_measure(
            None,
            data,
            [(t["level"], t["area"], t["weight"]) for t in own.iter_rows(named=True)],
            owner=owner,
            status=row["status"],
            synthetic=True,
        )
        created += 1
    return created


def load_demo_infrastructure() -> int:
    """The real labs above; returns how many were created."""
    from battkomp.measures.actions import do_save_infrastructure
    from battkomp.measures.models import Infrastructure
    from battkomp.organisations.models import Organisation

    created = 0
    for entry in DEMO_INFRASTRUCTURE:
        if Infrastructure.objects.filter(name=entry["name"]).exists():
            continue
        data = dict(entry)
        owner = None
        if "owner" in data:
            owner = Organisation.objects.filter(name=data.pop("owner")).order_by("pk").first()
            if owner is None:
                data["owner_name"] = entry["owner"]
        do_save_infrastructure(None, {"public": True, **data}, owner=owner)
        created += 1
    return created
