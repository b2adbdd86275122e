"""Demo content for measures and the infrastructure register (called by ``battkomp.demo``).

Measures: the demo bundle's fictional measures (``engine/demo/measures.csv``), marked synthetic,
so the database exports the same measures the engine's demo runs with. Infrastructure: real
Norwegian battery labs with their public sources; where battkomp does not know a detail (access
terms), the text says so.

Everything is looked up by its natural key (a measure's title, a facility's name, in either
language), so loading twice adds nothing the second time. Every entry has its name and texts in
bokmål and English.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

#: Real battery research and test infrastructure, with public sources.
DEMO_INFRASTRUCTURE: tuple[dict[str, Any], ...] = (
    {
        "name_en": "SINTEF Battery Lab",
        "name_nb": "SINTEFs batterilab",
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
        "description_en": (
            "Battery lab opened in 2023: electrode preparation, cell assembly in a dry "
            "atmosphere, and electrochemical formation and testing of cells. Part-funded through "
            "the national research infrastructure NABLA."
        ),
        "description_nb": (
            "Batterilab åpnet i 2023: elektrodeframstilling, cellemontering i tørr atmosfære og "
            "elektrokjemisk formering og testing av celler. Delfinansiert gjennom den nasjonale "
            "forskningsinfrastrukturen NABLA."
        ),
        "access_terms_en": (
            "Research and industry projects by agreement with SINTEF (battkomp has not verified "
            "the terms; see the link)."
        ),
        "access_terms_nb": (
            "Forsknings- og industriprosjekter etter avtale med SINTEF (battkomp har ikke "
            "kontrollert vilkårene; se lenken)."
        ),
        "url": "https://www.sintef.no/siste-nytt/2023/ny-batterilab-skal-gi-fortrinn-mot-neste-geneasjon-batterier/",
        "source": (
            "https://www.sintef.no/siste-nytt/2023/ny-batterilab-skal-gi-fortrinn-mot-neste-"
            "geneasjon-batterier/; https://www.bestmag.co.uk/sintef-new-norwegian-national-"
            "battery-laboratory-will-reduce-dependency/"
        ),
    },
    {
        "name_en": "IFE battery cell laboratory",
        "name_nb": "IFEs battericellelaboratorium",
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
        "description_en": (
            "A 500 m² laboratory for battery cell production at industrial scale, part of the "
            "national infrastructure Norwegian Advanced Battery Laboratory (NABLA). IFE's battery "
            "development laboratory (2020) covers material synthesis, electrode preparation, cell "
            "assembly and characterisation."
        ),
        "description_nb": (
            "Et laboratorium på 500 m² for produksjon av battericeller i industriell skala, del "
            "av den nasjonale infrastrukturen Norwegian Advanced Battery Laboratory (NABLA). IFEs "
            "batteriutviklingslaboratorium (2020) dekker materialsyntese, elektrodeframstilling, "
            "cellemontering og karakterisering."
        ),
        "access_terms_en": (
            "Research and industry projects by agreement with IFE (battkomp has not verified the "
            "terms; see the link)."
        ),
        "access_terms_nb": (
            "Forsknings- og industriprosjekter etter avtale med IFE (battkomp har ikke "
            "kontrollert vilkårene; se lenken)."
        ),
        "url": "https://elmagasinet.no/nytt-battericelle-laboratorium/",
        "source": (
            "https://elmagasinet.no/nytt-battericelle-laboratorium/; https://ife.no/en/the-"
            "norwegian-minister-of-petroleum-and-energy-opened-ifes-new-battery-development-"
            "laboratorium/"
        ),
    },
    {
        "name_en": "NABLA – Norwegian Advanced Battery Laboratory",
        "name_nb": "NABLA – nasjonal infrastruktur for batteriforskning",
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
        "description_en": (
            "National research infrastructure for batteries funded by the Research Council of "
            "Norway with NOK 100 million; IFE is the project owner, with the University of Oslo, "
            "NTNU, SINTEF, the University of Agder and FFI as partners."
        ),
        "description_nb": (
            "Nasjonal forskningsinfrastruktur for batterier, finansiert av Norges forskningsråd "
            "med 100 millioner kroner; IFE er prosjekteier, med Universitetet i Oslo, NTNU, "
            "SINTEF, Universitetet i Agder og FFI som partnere."
        ),
        "access_terms_en": (
            "A national research infrastructure: access for research groups and industry by "
            "agreement with the partners (assumption; battkomp has not verified the terms)."
        ),
        "access_terms_nb": (
            "En nasjonal forskningsinfrastruktur: tilgang for forskningsgrupper og industri "
            "etter avtale med partnerne (antakelse; battkomp har ikke kontrollert vilkårene)."
        ),
        "url": "https://elmagasinet.no/nytt-battericelle-laboratorium/",
        "source": "https://elmagasinet.no/nytt-battericelle-laboratorium/",
    },
    {
        "name_en": "Morrow Research Centre (Battery Innovation Centre)",
        "name_nb": "Morrow Research Centre (batteriinnovasjonssenter)",
        "owner": "Morrow Batteries ASA",
        "kind": "lab",
        "region": "42",
        "place": "Grimstad (University of Agder campus)",
        "areas": ["electrochemistry", "cell_design", "materials_technology", "formation_testing"],
        "description_en": (
            "Morrow's research centre for developing and industrialising new battery technology "
            "(e.g. LNMO cathodes and Li-S), with about 2000 m² on the ground floor and several "
            "floors of labs; described by Morrow as Norway's largest battery research centre when "
            "it opened in 2023."
        ),
        "description_nb": (
            "Morrows forskningssenter for utvikling og industrialisering av ny batteriteknologi "
            "(f.eks. LNMO-katoder og Li-S), med om lag 2000 m² på bakkeplan og flere etasjer med "
            "laboratorier; omtalt av Morrow som Norges største batteriforskningssenter da det "
            "åpnet i 2023."
        ),
        "access_terms_en": (
            "The company's own research and development (battkomp knows of no open access)."
        ),
        "access_terms_nb": (
            "Selskapets egen forskning og utvikling (battkomp kjenner ikke til åpen tilgang)."
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
    skip = {"id", "name", "name_nb", "name_en", "owner", "status"}
    for row in measures.iter_rows(named=True):
        title_nb = row.get("name_nb") or ""
        title_en = row.get("name_en") or ("" if title_nb else row["name"])
        if Measure.objects.filter(
            Q(title_nb=title_nb or "-") | Q(title_en=title_en or "-") | Q(title_en=row["name"])
        ).exists():
            continue
        own = targets.filter(targets["measure"] == row["id"])
        data = {k: row.get(k) for k in row if k not in skip}
        data["title_nb"], data["title_en"] = title_nb, title_en
        owner = _owner(str(row.get("owner") or ""))
        if owner is None and row.get("owner"):
            data["description_nb"] = f"Eier: {row['owner']}"
            data["description_en"] = f"Owner: {row['owner']}"
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
        if Infrastructure.objects.filter(
            Q(name_nb=entry["name_nb"]) | Q(name_en=entry["name_en"])
        ).exists():
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
