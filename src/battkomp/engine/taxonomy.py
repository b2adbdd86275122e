"""Code lists of the taxonomy as ordered tuples, and label lookups in both languages.

>>> tax = Taxonomy.from_inputs(load_inputs(None))
>>> "cell_manufacturing" in tax.segments and "nkr4" in tax.levels and "evu" not in tax.levels
True
>>> tax.area_parent["electrochemistry"]
'chemistry_materials'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from battkomp.engine.bundle import Inputs, load_inputs  # noqa: F401  (load_inputs: doctest)


@dataclass(frozen=True)
class Taxonomy:
    """Ordered codes the model counts in, and labels per language."""

    segments: tuple[str, ...]
    regions: tuple[str, ...]
    roles: tuple[str, ...]
    levels: tuple[str, ...]
    """True education levels (NKR 4–8), in order; EVU is a pathway and not among them."""
    areas: tuple[str, ...]
    """Competence areas the model counts in (the leaves of the two-level hierarchy)."""
    area_parent: dict[str, str]
    role_group: dict[str, str]
    labels: dict[str, dict[str, tuple[str, str]]]
    """labels[table][code] = (bokmål, English)."""
    role_styrk: dict[str, str] = field(default_factory=dict)
    """The STYRK-08 occupation code of each role."""
    role_levels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """The education levels a role usually needs."""
    lever_horizon: dict[str, str] = field(default_factory=dict)
    """The time horizon of each lever."""

    @classmethod
    def from_inputs(cls, inputs: Inputs) -> Taxonomy:
        areas_df = inputs["competence_areas"]
        leaves = tuple(
            str(c) for c, p in zip(areas_df["code"], areas_df["parent"], strict=True) if p
        )
        parent = {
            str(c): str(p) for c, p in zip(areas_df["code"], areas_df["parent"], strict=True) if p
        }
        lv = inputs["education_levels"].filter(inputs["education_levels"]["is_level"]).sort("nkr")
        labels: dict[str, dict[str, tuple[str, str]]] = {}
        for table in (
            "segments",
            "regions",
            "roles",
            "education_levels",
            "competence_areas",
            "levers",
        ):
            df = inputs[table]
            labels[table] = {
                str(r["code"]): (str(r["name_nb"]), str(r["name_en"]))
                for r in df.iter_rows(named=True)
            }
        roles_df = inputs["roles"]
        return cls(
            segments=tuple(str(s) for s in inputs["segments"]["code"]),
            regions=tuple(str(s) for s in inputs["regions"]["code"]),
            roles=tuple(str(s) for s in roles_df["code"]),
            levels=tuple(str(s) for s in lv["code"]),
            areas=leaves,
            area_parent=parent,
            role_group={
                str(c): str(g)
                for c, g in zip(roles_df["code"], roles_df["role_group"], strict=True)
            },
            labels=labels,
            role_styrk={
                str(c): str(s) for c, s in zip(roles_df["code"], roles_df["styrk08"], strict=True)
            },
            role_levels={
                str(c): tuple(str(x) for x in (lv if lv is not None else ()))
                for c, lv in zip(roles_df["code"], roles_df["usual_levels"], strict=True)
            },
            lever_horizon={
                str(c): str(h)
                for c, h in zip(inputs["levers"]["code"], inputs["levers"]["horizon"], strict=True)
            },
        )

    def label(self, table: str, code: str, lang: str = "en") -> str:
        """The name of a code in bokmål (``nb``) or English; the code itself if unknown."""
        pair = self.labels.get(table, {}).get(code)
        if pair is None:
            return code
        return pair[0] if lang == "nb" else pair[1]
