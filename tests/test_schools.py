"""School profiles: loading, validation with file and field in every error, lookup."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from wegwijs.schools import SchoolFileError, SchoolRegistry, load_school

VALID = {
    "name": "Testschool",
    "type": "po",
    "gemeente": "Utrecht",
    "samenwerkingsverband": "SWV Test",
    "contacts": {
        "contact_person": {"name": "A. Test", "phone": "012-3456789"},
        "intern_begeleider": {"name": "B. Test", "email": "ib@test.example",
                              "hours": [{"day": "dinsdag", "start": "08:30", "end": "15:00"}]},
    },
}


def write(tmp_path: Path, name: str, data) -> Path:
    path = tmp_path / f"{name}.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True) if not isinstance(data, str) else data)
    return path


def test_the_shipped_schools_are_valid_and_of_each_type(registry):
    types = {registry.get(school_id).type for school_id in registry.ids()}
    assert {"po", "vo", "so"} <= types
    assert len(registry.ids()) >= 3


def test_the_shipped_schools_are_marked_as_examples(registry, tmp_path):
    """Only example schools get demo accounts (issue 20, finding 9); a profile is no example unless it
    says so."""
    assert all(registry.get(school_id).example for school_id in registry.ids())
    assert load_school(write(tmp_path, "echte-school", VALID)).example is False


def test_file_name_is_the_id(tmp_path):
    school = load_school(write(tmp_path, "test-school", VALID))
    assert school.id == "test-school"
    assert school.first_contact(["zorgcoordinator", "intern_begeleider"])[0] == "intern_begeleider"


@pytest.mark.parametrize("change, field", [
    ({"type": "mbo"}, "type"),
    ({"contacts": {"contact_person": {"name": "A", "phone": "12345"}}}, "contacts.contact_person.phone"),
    ({"contacts": {"contact_person": {"name": "A", "email": "geen-mail"}}}, "contacts.contact_person.email"),
    ({"contacts": {"contact_person": {"name": "A"}}}, "contacts.contact_person"),
    ({"contacts": {"contact_person": {"name": "A", "phone": "012-3456789"},
                   "directeur": {"name": "B", "phone": "012-3456789"}}}, "contacts"),
    ({"contacts": {"mentor": {"name": "B", "phone": "012-3456789"}}}, "contacts"),
    ({"contacts": {"contact_person": {"name": "A", "phone": "012-3456789",
                                      "hours": [{"day": "maandag", "start": "16:00", "end": "09:00"}]}}},
     "contacts.contact_person.hours.0"),
    ({"contacts": {"contact_person": {"name": "A", "phone": "012-3456789",
                                      "hours": [{"day": "funday", "start": "09:00", "end": "10:00"}]}}},
     "contacts.contact_person.hours.0.day"),
    ({"website": "http://insecure.example"}, "website"),
    ({"contacts": {"contact_person": {"name": "A", "url": "http://insecure.example"}}},
     "contacts.contact_person.url"),
    ({"links": {"pestprotocol": "http://insecure.example/pesten.pdf"}}, "links.pestprotocol"),
    ({"widget": {"colour": "#777777"}}, "widget.colour"),
    ({"holidays": [{"start": "2027-01-03", "end": "2026-12-19", "label": "Kerstvakantie"}]}, "holidays.0"),
    ({"notes": {"care_opp": "Lees <b>dit</b>."}}, "notes"),
    ({"kleur": "blauw"}, "kleur"),
    ({"example": "misschien"}, "example"),
    ({"example": "true"}, "example"),
])
def test_errors_name_the_file_and_the_field(tmp_path, change, field):
    data = {**VALID, **change}
    path = write(tmp_path, "bad-school", data)
    with pytest.raises(SchoolFileError) as error:
        load_school(path)
    assert error.value.path == path
    assert error.value.field == field
    assert str(path) in str(error.value)


def test_missing_name_is_reported(tmp_path):
    data = {key: value for key, value in VALID.items() if key != "name"}
    with pytest.raises(SchoolFileError) as error:
        load_school(write(tmp_path, "no-name", data))
    assert error.value.field == "name"


def test_invalid_yaml_and_wrong_id_are_reported(tmp_path):
    with pytest.raises(SchoolFileError, match="not valid YAML"):
        load_school(write(tmp_path, "broken", "name: [unclosed"))
    with pytest.raises(SchoolFileError) as error:
        load_school(write(tmp_path, "right-id", {**VALID, "id": "other-id"}))
    assert error.value.field == "id"


def test_registry_reports_every_invalid_file(tmp_path):
    write(tmp_path, "good", VALID)
    write(tmp_path, "bad-one", {**VALID, "type": "x"})
    write(tmp_path, "bad-two", {**VALID, "gemeente": None})
    with pytest.raises(SchoolFileError) as error:
        SchoolRegistry.from_directory(tmp_path)
    assert "bad-one.yml: type" in str(error.value)
    assert "bad-two.yml: gemeente" in str(error.value)


def test_unknown_or_missing_school_id_gives_none(registry):
    assert registry.get("bestaat-niet") is None
    assert registry.get(None) is None
    assert registry.get("") is None
    assert registry.get(42) is None
