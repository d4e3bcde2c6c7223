"""The requirements catalogue (four endpoints) and requirement groups."""

from __future__ import annotations

from tests.sandbox.conftest import Api


def test_requirements_describe_realistic_sets_with_acceptance_criteria(api: Api) -> None:
    listed = api.ok(
        api.get(
            "/requirements",
            params={"filter[country_code]": "DE", "filter[phone_number_type]": "local"},
        )
    )
    assert listed["meta"]["total_results"] == 1
    requirement = listed["data"][0]
    names = {t["name"]: t for t in requirement["requirement_types"]}
    assert {"Address matching the DID area code", "Proof of Address", "End user name"} <= set(names)
    assert names["Proof of Address"]["acceptance_criteria"]["time_limit"]
    assert isinstance(names["End user name"]["acceptance_criteria"]["max_length"], int)
    again = api.ok(api.get(f"/requirements/{requirement['id']}"))["data"]
    assert again["id"] == requirement["id"]
    mobile = api.unchecked.get("/requirements", params={"filter[phone_number_type]": "mobile"})
    assert mobile.status_code == 422
    page = api.ok(
        api.get(
            "/requirements", params={"page[size]": 5, "page[number]": 2, "sort[]": "-country_code"}
        )
    )
    assert page["meta"]["page_number"] == 2 and len(page["data"]) == 5


def test_requirement_types_are_the_ids_found_on_sub_orders(api: Api) -> None:
    order = api.order(api.search("FR", "local", 1))
    sub = api.sub(order["sub_number_orders_ids"][0])
    for req in sub["regulatory_requirements"]:
        rtype = api.ok(api.get(f"/requirement_types/{req['requirement_id']}"))["data"]
        assert rtype["record_type"] == "requirement_type"
    found = api.ok(api.get("/requirement_types", params={"filter[name][contains]": "passport"}))
    assert [t["name"] for t in found["data"]] == ["Passport or national ID card"]
    assert api.get("/requirement_types/00000000-0000-4000-8000-000000000000").status_code == 404


def test_regulatory_requirements_cover_mobile_and_use_string_lengths(api: Api) -> None:
    data = api.ok(
        api.get(
            "/regulatory_requirements",
            params={"filter[country_code]": "AU", "filter[phone_number_type]": "mobile"},
        )
    )["data"]
    reqs = data[0]["regulatory_requirements"]
    kinds = {r["field_type"] for r in reqs}
    assert kinds == {"document", "datetime"}
    de = api.ok(
        api.get(
            "/regulatory_requirements",
            params={"filter[country_code]": "DE", "filter[phone_number_type]": "local"},
        )
    )["data"][0]
    textual = next(r for r in de["regulatory_requirements"] if r["field_type"] == "textual")
    assert textual["acceptance_criteria"]["max_length"] == "100"
    assert any(r["field_type"] == "address_id" for r in de["regulatory_requirements"])
    by_number = api.search("GB", "mobile", 1)[0]
    for_number = api.ok(
        api.get("/regulatory_requirements", params={"filter[phone_number]": by_number})
    )["data"]
    assert [(d["country_code"], d["phone_number_type"]) for d in for_number] == [("GB", "mobile")]


def test_phone_numbers_regulatory_requirements_for_several_numbers(api: Api) -> None:
    numbers = api.search("CH", "local", 1) + api.search("US", "local", 1)
    data = api.ok(
        api.get(
            "/phone_numbers_regulatory_requirements",
            params={"filter[phone_number]": ",".join(numbers)},
        )
    )["data"]
    assert [d["phone_number"] for d in data] == numbers
    assert data[0]["regulatory_requirements"] and data[1]["regulatory_requirements"] == []
    assert data[0]["record_type"] == "phone_number_regulatory_requirements"


def test_group_lifecycle_submit_approve_and_decline(api: Api, sandbox) -> None:
    reqs = api.ok(
        api.get(
            "/regulatory_requirements",
            params={"filter[country_code]": "SE", "filter[phone_number_type]": "local"},
        )
    )["data"][0]
    group = api.ok(
        api.post(
            "/requirement_groups",
            json={
                "country_code": "SE",
                "phone_number_type": "local",
                "action": "ordering",
                "customer_reference": "se-group",
            },
        )
    )
    assert group["status"] == "unapproved"
    assert all("field_value" not in r for r in group["regulatory_requirements"])
    early = api.post(f"/requirement_groups/{group['id']}/submit_for_approval")
    assert early.status_code == 422  # not fulfilled yet
    values = []
    for r in reqs["regulatory_requirements"]:
        if r["field_type"] == "address_id":
            values.append(
                {
                    "requirement_id": r["id"],
                    "field_value": api.address(locality="Stockholm", country_code="SE"),
                }
            )
        else:
            values.append({"requirement_id": r["id"], "field_value": api.document("REJECT-id.pdf")})
    patched = api.ok(
        api.patch(f"/requirement_groups/{group['id']}", json={"regulatory_requirements": values})
    )
    assert all(r["field_value"] for r in patched["regulatory_requirements"])
    submitted = api.ok(api.post(f"/requirement_groups/{group['id']}/submit_for_approval"))
    assert submitted["status"] == "pending-approval"
    sandbox.advance(3)
    declined = api.ok(api.get(f"/requirement_groups/{group['id']}"))
    assert declined["status"] == "declined"
    feedback = api.ok(
        api.get(
            "/comments",
            params={
                "filter[comment_record_type]": "requirement_group",
                "filter[comment_record_id]": group["id"],
            },
        )
    )["data"]
    assert feedback and feedback[0]["commenter_type"] == "admin"
    listed = api.ok(
        api.get("/requirement_groups", params={"filter[customer_reference]": "se-group"})
    )
    assert isinstance(listed, list) and [g["id"] for g in listed] == [group["id"]]
    deleted = api.ok(api.delete(f"/requirement_groups/{group['id']}"))
    assert deleted["id"] == group["id"]
    assert api.get(f"/requirement_groups/{group['id']}").status_code == 404


def test_italy_has_no_group_pre_approval(api: Api) -> None:
    group = api.ok(
        api.post(
            "/requirement_groups",
            json={"country_code": "IT", "phone_number_type": "toll_free", "action": "ordering"},
        )
    )
    response = api.post(f"/requirement_groups/{group['id']}/submit_for_approval")
    assert response.status_code == 422


def test_attaching_a_group_to_a_pending_sub_order_and_number(api: Api, sandbox) -> None:
    order = api.order(api.search("NL", "local", 2))
    sub = api.sub(order["sub_number_orders_ids"][0])
    group = api.ok(
        api.post(
            "/requirement_groups",
            json={
                "country_code": "NL",
                "phone_number_type": "local",
                "action": "ordering",
                "regulatory_requirements": api.values_for(sub),
            },
        )
    )
    attached = api.ok(
        api.post(
            f"/sub_number_orders/{sub['id']}/requirement_group",
            json={"requirement_group_id": group["id"]},
        )
    )["data"]
    assert {n["requirements_status"] for n in attached["phone_numbers"]} == {
        "requirement-info-under-review"
    }
    other = api.order(api.search("NL", "local", 1))
    number = api.ok(
        api.post(
            f"/number_order_phone_numbers/{other['phone_numbers'][0]['id']}/requirement_group",
            json={"requirement_group_id": group["id"]},
        )
    )["data"]
    assert number["requirements_status"] == "requirement-info-under-review"
    wrong = api.ok(
        api.post(
            "/requirement_groups",
            json={"country_code": "DE", "phone_number_type": "local", "action": "ordering"},
        )
    )
    refused = api.post(
        f"/sub_number_orders/{sub['id']}/requirement_group",
        json={"requirement_group_id": wrong["id"]},
    )
    assert refused.status_code == 422


def test_an_approved_group_expires_when_a_value_passes_its_validity(api: Api, sandbox) -> None:
    reqs = api.ok(
        api.get(
            "/regulatory_requirements",
            params={"filter[country_code]": "GB", "filter[phone_number_type]": "local"},
        )
    )["data"][0]
    values = []
    for r in reqs["regulatory_requirements"]:
        if r["field_type"] == "address_id":
            values.append(
                {
                    "requirement_id": r["id"],
                    "field_value": api.address(locality="London", country_code="GB"),
                }
            )
        else:
            values.append({"requirement_id": r["id"], "field_value": "Acme Ltd"})
    group = api.ok(
        api.post(
            "/requirement_groups",
            json={
                "country_code": "GB",
                "phone_number_type": "local",
                "action": "ordering",
                "regulatory_requirements": values,
            },
        )
    )
    api.ok(api.post(f"/requirement_groups/{group['id']}/submit_for_approval"))
    sandbox.advance(3)
    approved = api.ok(api.get(f"/requirement_groups/{group['id']}"))
    assert approved["status"] == "approved"
    assert all(r["expires_at"] for r in approved["regulatory_requirements"])
    sandbox.advance(366 * 86400)
    assert api.ok(api.get(f"/requirement_groups/{group['id']}"))["status"] == "expired"


def _approved_group(api: Api, sandbox, country: str, ntype: str, locality: str) -> dict:
    reqs = api.ok(
        api.get(
            "/regulatory_requirements",
            params={"filter[country_code]": country, "filter[phone_number_type]": ntype},
        )
    )["data"][0]
    values = []
    for r in reqs["regulatory_requirements"]:
        if r["field_type"] == "address_id":
            value = api.address(locality=locality, country_code=country)
        elif r["field_type"] == "document":
            value = api.document("passport.pdf")
        else:
            value = "Acme AG"
        values.append({"requirement_id": r["id"], "field_value": value})
    group = api.ok(
        api.post(
            "/requirement_groups",
            json={
                "country_code": country,
                "phone_number_type": ntype,
                "action": "ordering",
                "regulatory_requirements": values,
            },
        )
    )
    api.ok(api.post(f"/requirement_groups/{group['id']}/submit_for_approval"))
    sandbox.advance(sandbox.configure()["vetting_seconds"] + 1)
    approved = api.ok(api.get(f"/requirement_groups/{group['id']}"))
    assert approved["status"] == "approved"
    return approved


def test_the_validity_of_approved_values_is_a_setting_and_expired_values_say_so(
    api: Api, sandbox
) -> None:
    sandbox.configure(group_validity_days=10)
    group = _approved_group(api, sandbox, "GB", "local", "London")
    expires = {r["expires_at"] for r in group["regulatory_requirements"]}
    assert len(expires) == 1
    sandbox.advance(9 * 86400)
    assert api.ok(api.get(f"/requirement_groups/{group['id']}"))["status"] == "approved"
    sandbox.advance(2 * 86400)
    expired = api.ok(api.get(f"/requirement_groups/{group['id']}"))
    assert expired["status"] == "expired"
    assert {r["status"] for r in expired["regulatory_requirements"]} == {"expired"}


def test_a_catalogue_change_makes_the_scopes_groups_no_longer_eligible(api: Api, sandbox) -> None:
    group = _approved_group(api, sandbox, "CH", "local", "Zurich")
    other = _approved_group(api, sandbox, "CH", "national", "Zurich")
    before = api.ok(
        api.get(
            "/requirements",
            params={"filter[country_code]": "CH", "filter[phone_number_type]": "local"},
        )
    )["data"][0]
    changed = sandbox.change_catalogue("CH", "local", "business_registration")
    assert group["id"] in changed["no_longer_eligible"]
    assert other["id"] not in changed["no_longer_eligible"]
    # The group reads no-longer-eligible (a named contract deviation) with an admin comment.
    assert api.ok(api.get(f"/requirement_groups/{group['id']}"))["status"] == "no-longer-eligible"
    assert api.ok(api.get(f"/requirement_groups/{other['id']}"))["status"] == "approved"
    comments = api.ok(
        api.get(
            "/comments",
            params={
                "filter[comment_record_type]": "requirement_group",
                "filter[comment_record_id]": group["id"],
            },
        )
    )["data"]
    assert "no longer eligible" in comments[-1]["body"]
    # The catalogue, new groups and new orders ask for the added requirement.
    after = api.ok(api.get(f"/requirements/{before['id']}"))["data"]
    added = changed["requirement_type_id"]
    assert added not in {t["id"] for t in before["requirement_types"]}
    assert added in {t["id"] for t in after["requirement_types"]}
    fresh = api.ok(
        api.post(
            "/requirement_groups",
            json={"country_code": "CH", "phone_number_type": "local", "action": "ordering"},
        )
    )
    assert added in {r["requirement_id"] for r in fresh["regulatory_requirements"]}
    # Ordering with the old group is refused.
    number = api.search("CH", "local", 1)[0]
    refused = api.post(
        "/number_orders",
        json={"phone_numbers": [{"phone_number": number, "requirement_group_id": group["id"]}]},
    )
    assert refused.status_code == 422
    assert "no-longer-eligible" in refused.json()["errors"][0]["detail"]
    # Reset (the fixture does it after each test) puts the catalogue back.
    sandbox.reset()
    again = api.ok(api.get(f"/requirements/{before['id']}"))["data"]
    assert added not in {t["id"] for t in again["requirement_types"]}
