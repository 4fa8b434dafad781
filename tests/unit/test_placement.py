"""Where a dossier goes: the shipped province's shape and the rules of receipt on behalf."""

from __future__ import annotations

import pytest

from services.intake.domain.catalogue import Catalogue
from services.intake.domain.placement import place
from services.intake.service.catalogue import SHIPPED_CATALOGUE, read_catalogue
from shared.errors import Forbidden, InvalidRequest

CATALOGUE = read_catalogue(SHIPPED_CATALOGUE)
AGENCIES = {a.id: a for a in CATALOGUE.agencies}
PROCEDURES = {p.code: p for p in CATALOGUE.procedures}
COMMUNES = sorted(a.id for a in CATALOGUE.agencies if a.level == "commune")
HOAN_KIEM, OTHER_COMMUNE = COMMUNES[0], COMMUNES[1]
LAND_OFFICE, LAND_DEPARTMENT = "000.00.31.H26", AGENCIES["000.00.31.H26"].parent_id
BIRTH, LAND_CHANGE = "1.001193", "1.013831"


def test_the_shipped_catalogue_is_a_province():
    levels = [a.level for a in CATALOGUE.agencies]
    assert levels.count("province") == 1 and levels.count("department") >= 3 and levels.count("commune") >= 10
    assert len(CATALOGUE.procedures) >= 30
    assert all(p.code[0] in "123" and p.code[1] == "." and p.source for p in CATALOGUE.procedures)
    # every commune performs the commune-level procedures
    assert set(COMMUNES) <= set(PROCEDURES[BIRTH].agencies)
    assert AGENCIES[LAND_OFFICE].level == "branch" and AGENCIES[LAND_DEPARTMENT].level == "department"


def test_a_commune_clerk_receives_for_its_own_commune_by_default():
    at = place(PROCEDURES[BIRTH], None, HOAN_KIEM, AGENCIES)
    assert at.competent.id == HOAN_KIEM and not at.on_behalf


def test_a_commune_clerk_receives_a_commune_procedure_for_another_commune():
    at = place(PROCEDURES[BIRTH], OTHER_COMMUNE, HOAN_KIEM, AGENCIES)
    assert (at.competent.id, at.receiving.id, at.on_behalf) == (OTHER_COMMUNE, HOAN_KIEM, True)


def test_a_commune_clerk_may_not_receive_for_a_department():
    with pytest.raises(Forbidden) as refused:
        place(PROCEDURES[LAND_CHANGE], None, HOAN_KIEM, AGENCIES)
    assert LAND_OFFICE in refused.value.en and LAND_OFFICE in refused.value.vi


def test_a_department_receives_for_the_branch_under_it():
    at = place(PROCEDURES[LAND_CHANGE], None, LAND_DEPARTMENT, AGENCIES)
    assert (at.competent.id, at.receiving.id) == (LAND_OFFICE, LAND_DEPARTMENT)


def test_a_centre_wide_clerk_must_choose_among_many_performers():
    with pytest.raises(InvalidRequest) as unclear:
        place(PROCEDURES[BIRTH], None, None, AGENCIES)
    assert unclear.value.detail.get("field") == "agency_id"
    assert place(PROCEDURES[BIRTH], OTHER_COMMUNE, None, AGENCIES).competent.id == OTHER_COMMUNE
    assert place(PROCEDURES[LAND_CHANGE], None, None, AGENCIES).competent.id == LAND_OFFICE  # the only one


def test_an_agency_that_does_not_perform_the_procedure_is_refused():
    with pytest.raises(InvalidRequest):
        place(PROCEDURES[BIRTH], LAND_OFFICE, None, AGENCIES)


def test_old_catalogues_with_one_agency_per_procedure_still_read():
    old = Catalogue.model_validate(
        {
            "version": "old",
            "effective_from": "2025-01-01",
            "agencies": [{"id": "000.00.31.H26", "name": "VPĐKĐĐ", "level": "province"}],
            "procedures": [{"code": "1.013831", "name": "x", "agency_id": "000.00.31.H26", "processing_hours": 8}],
        }
    )
    assert old.procedures[0].agencies == ["000.00.31.H26"]


def test_a_catalogue_with_an_unknown_parent_or_a_cycle_is_refused():
    base = {"version": "v", "effective_from": "2026-01-01", "procedures": []}
    with pytest.raises(ValueError, match="unknown parent"):
        Catalogue.model_validate(
            {**base, "agencies": [{"id": "000.00.31.H26", "name": "a", "parent_id": "000.00.16.H26"}]}
        )
    with pytest.raises(ValueError, match="cycle"):
        Catalogue.model_validate(
            {
                **base,
                "agencies": [
                    {"id": "000.00.31.H26", "name": "a", "parent_id": "000.00.16.H26"},
                    {"id": "000.00.16.H26", "name": "b", "parent_id": "000.00.31.H26"},
                ],
            }
        )
