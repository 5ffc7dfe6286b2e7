"""The simulator's API surface over HTTP: version, Keystone, auth, releases, clusters, settings, misc."""
from __future__ import annotations

import time

import requests

from sim.fuel import FuelSimulator
from tests.fixtures.fuel_simulator import FuelHttp, wait_for

PASSWORD_AUTH = {"auth": {"passwordCredentials": {"username": "admin", "password": "admin"}, "tenantName": "admin"}}


def new_cluster(api: FuelHttp, name: str = "env", **extra: object) -> dict:
    reply = api.post("/api/clusters", {"name": name, "release": 1, "mode": "multinode", **extra})
    assert reply.status_code == 201, reply.text
    return reply.json()


# ----- version, keystone, auth ------------------------------------------------------------------------
def test_version_is_public_and_says_6_0(fuelsim: FuelSimulator) -> None:
    reply = requests.get(f"{fuelsim.url}/api/version")
    assert reply.status_code == 200
    body = reply.json()
    assert body["release"] == "6.0" and body["api"] == "1.0" and body["auth_required"] is True
    assert body["feature_groups"] == ["mirantis"]      # a fresh 6.0 GA master; the article adds experimental
    assert set(body) >= {"build_number", "build_id", "nailgun_sha", "astute_sha", "fuellib_sha", "ostf_sha",
                         "fuelmain_sha", "production", "release_versions"}
    assert requests.get(f"{fuelsim.url}/api/v1/version/").json() == body


def test_keystone_password_then_token_reauth(fuelsim: FuelSimulator) -> None:
    first = requests.post(f"{fuelsim.url}/keystone/v2.0/tokens", json=PASSWORD_AUTH)
    assert first.status_code == 200
    access = first.json()["access"]
    assert set(access) >= {"token", "serviceCatalog", "user", "metadata"}
    assert access["user"]["roles"] == [{"name": "admin"}] and access["token"]["tenant"]["name"] == "admin"
    assert access["token"]["expires"].endswith("Z")
    again = requests.post(f"{fuelsim.url}/keystone/v2.0/tokens", json={
        "auth": {"token": {"id": access["token"]["id"]}, "tenantId": access["token"]["tenant"]["id"]}})
    assert again.status_code == 200 and again.json()["access"]["token"]["id"] != access["token"]["id"]


def test_keystone_rejects_bad_credentials_with_json_401(fuelsim: FuelSimulator) -> None:
    bad = {"auth": {"passwordCredentials": {"username": "admin", "password": "nope"}, "tenantName": "admin"}}
    reply = requests.post(f"{fuelsim.url}/keystone/v2.0/tokens", json=bad)
    assert reply.status_code == 401
    assert reply.json()["error"]["code"] == 401 and reply.json()["error"]["title"] == "Unauthorized"
    by_token = requests.post(f"{fuelsim.url}/keystone/v2.0/tokens", json={"auth": {"token": {"id": "forged"}}})
    assert by_token.status_code == 401
    assert requests.post(f"{fuelsim.url}/keystone/v2.0/tokens", data="{not json").status_code == 400
    assert requests.post(f"{fuelsim.url}/keystone/v2.0/tokens", json={"x": 1}).status_code == 400


def test_keystone_version_logout_and_password_change(fuelsim: FuelSimulator) -> None:
    assert requests.get(f"{fuelsim.url}/keystone/v2.0/").json()["version"]["id"] == "v2.0"
    api = FuelHttp(fuelsim.url)
    token = api.login()
    user_id = requests.post(f"{fuelsim.url}/keystone/v2.0/tokens", json=PASSWORD_AUTH).json()["access"]["user"]["id"]
    change = {"user": {"password": "s3cret", "original_password": "admin"}}
    anonymous = requests.patch(f"{fuelsim.url}/keystone/v2.0/OS-KSCRUD/users/{user_id}", json=change)
    assert anonymous.status_code == 401                        # Keystone's user_crud needs the user's token
    changed = requests.patch(f"{fuelsim.url}/keystone/v2.0/OS-KSCRUD/users/{user_id}", json=change,
                             headers={"X-Auth-Token": token})  # as the 6.0 UI sends it
    assert changed.status_code == 200
    assert api.get("/api/clusters").status_code == 401          # old tokens die with the old password
    assert FuelHttp(fuelsim.url).login(password="s3cret")
    assert requests.delete(f"{fuelsim.url}/keystone/v2.0/tokens/{token}").status_code == 204


def test_auth_required_everywhere_but_public_routes(fuelsim: FuelSimulator) -> None:
    reply = requests.get(f"{fuelsim.url}/api/clusters")
    assert reply.status_code == 401 and reply.text == "Authentication required"
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.headers["WWW-Authenticate"].startswith("Keystone uri=")
    assert requests.get(f"{fuelsim.url}/ostf/testruns").status_code == 401
    assert requests.get(f"{fuelsim.url}/api/nodes", headers={"X-Auth-Token": "bogus"}).status_code == 401


def test_token_in_header_or_nailgun_cookie(fuelsim: FuelSimulator) -> None:
    token = FuelHttp(fuelsim.url).login()
    assert requests.get(f"{fuelsim.url}/api/clusters", headers={"X-Auth-Token": token}).status_code == 200
    assert requests.get(f"{fuelsim.url}/api/clusters", cookies={"token": token}).status_code == 200
    assert requests.get(f"{fuelsim.url}/ostf/testruns", cookies={"token": token}).status_code == 401


def test_tokens_expire_after_the_configured_ttl(fuelsim_factory) -> None:
    sim = fuelsim_factory(token_ttl=0.2)
    api = FuelHttp(sim.url)
    api.login()
    assert api.get("/api/clusters").status_code == 200
    time.sleep(0.3)
    assert api.get("/api/clusters").status_code == 401


def test_auth_can_be_turned_off(fuelsim_factory) -> None:
    sim = fuelsim_factory(auth_required=False)
    assert requests.get(f"{sim.url}/api/version").json()["auth_required"] is False
    assert requests.get(f"{sim.url}/api/clusters").status_code == 200


# ----- releases -------------------------------------------------------------------------------------------
def test_releases_are_the_two_stock_6_0_ones(fuel_api: FuelHttp) -> None:
    releases = fuel_api.get("/api/releases").json()
    assert [(r["id"], r["name"], r["version"], r["operating_system"]) for r in releases] == [
        (1, "Juno on CentOS 6.5", "2014.2-6.0", "CentOS"), (2, "Juno on Ubuntu 12.04.4", "2014.2-6.0", "Ubuntu")]
    one = fuel_api.get("/api/releases/1/").json()
    assert one["state"] == "available" and one["is_deployable"] is True
    assert one["roles"] == ["controller", "compute", "cinder", "ceph-osd", "mongo", "zabbix-server"]
    assert one["roles_metadata"]["controller"]["conflicts"] == ["compute"]
    assert set(one["modes_metadata"]) == {"ha_compact", "multinode"}
    editable = one["attributes_metadata"]["editable"]
    assert {"access", "common", "vcenter", "storage", "syslog", "provision", "additional_components", "zabbix",
            "external_dns", "external_ntp", "kernel_params"} <= set(editable)
    assert "networks_metadata" not in one
    nets = fuel_api.get("/api/releases/2/networks").json()
    assert [n["name"] for n in nets["nova_network"]["networks"]] == ["public", "management", "storage", "fixed"]
    assert fuel_api.get("/api/releases/9").status_code == 404
    assert fuel_api.get("/api/releases/9").text == "Release not found"


# ----- clusters -------------------------------------------------------------------------------------------
def test_cluster_create_get_list_update_fields(fuel_api: FuelHttp) -> None:
    cluster = new_cluster(fuel_api, net_provider="nova_network")
    assert set(cluster) == {"id", "name", "mode", "status", "net_provider", "release_id", "pending_release_id",
                            "grouping", "is_customized", "fuel_version", "changes"}
    assert cluster["status"] == "new" and cluster["fuel_version"] == "6.0" and cluster["grouping"] == "roles"
    assert {"name": "attributes", "node_id": None} in cluster["changes"]
    assert fuel_api.get(f"/api/clusters/{cluster['id']}").json() == cluster
    assert fuel_api.get("/api/v1/clusters/").json() == [cluster]
    renamed = fuel_api.put(f"/api/clusters/{cluster['id']}/", {"name": "renamed"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "renamed"
    defaults = fuel_api.post("/api/clusters", {"name": "defaults", "release_id": 2}).json()
    assert defaults["mode"] == "ha_compact" and defaults["net_provider"] == "nova_network"


def test_cluster_errors(fuel_api: FuelHttp) -> None:
    new_cluster(fuel_api, "taken")
    dup = fuel_api.post("/api/clusters", {"name": "taken", "release": 1})
    assert dup.status_code == 409 and dup.text == "Environment with this name already exists"
    assert fuel_api.post("/api/clusters", {"name": "x"}).text == "Release ID is required"
    assert fuel_api.post("/api/clusters", {"name": "x", "release": 7}).text == "Invalid release ID"
    assert fuel_api.post("/api/clusters", {"name": "x", "release": 1, "mode": "bogus"}).status_code == 400
    assert fuel_api.post("/api/clusters", data="{oops").text == "Invalid json received"
    assert fuel_api.post("/api/clusters", data="").text == "Empty request received"
    missing = fuel_api.get("/api/clusters/42")
    assert missing.status_code == 404 and missing.text == "Cluster not found"
    assert missing.headers["Content-Type"] == "application/json"
    cluster = new_cluster(fuel_api, "provider")
    change = fuel_api.put(f"/api/clusters/{cluster['id']}", {"net_provider": "neutron"})
    assert change.status_code == 400 and "prohibited" in change.text


def test_cluster_delete_is_202_then_gone(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    cluster = new_cluster(fuel_api)
    reply = fuel_api.delete(f"/api/clusters/{cluster['id']}")
    assert reply.status_code == 202 and reply.json() == {}
    assert fuel_api.get(f"/api/clusters/{cluster['id']}").json()["status"] == "remove"
    wait_for(lambda: fuel_api.get(f"/api/clusters/{cluster['id']}").status_code == 404, 5)
    assert any("and all its nodes are deleted" in n["message"] for n in fuel_api.get("/api/notifications").json())


# ----- attributes -----------------------------------------------------------------------------------------
def test_attributes_get_put_patch_defaults(fuel_api: FuelHttp) -> None:
    cid = new_cluster(fuel_api)["id"]
    attrs = fuel_api.get(f"/api/clusters/{cid}/attributes").json()
    editable = attrs["editable"]
    assert editable["common"]["libvirt_type"]["value"] == "qemu"
    assert [v["data"] for v in editable["common"]["libvirt_type"]["values"]] == ["kvm", "qemu", "vcenter"]
    assert set(editable["vcenter"]) >= {"host_ip", "vc_user", "vc_password", "cluster", "datastore_regex"}
    assert set(editable["storage"]) >= {"volumes_lvm", "volumes_vmdk", "images_vcenter", "vc_host", "vc_user",
                                        "vc_password", "vc_datastore", "vc_datacenter", "vc_image_dir"}
    assert editable["provision"]["method"]["value"] == "cobbler"
    assert set(editable["additional_components"]) >= {"sahara", "murano", "heat", "ceilometer"}
    assert "auth_key" in editable["common"] and "syslog_server" in editable["syslog"]
    editable["common"]["libvirt_type"]["value"] = "vcenter"
    editable["vcenter"]["host_ip"]["value"] = "10.0.0.10"
    put = fuel_api.put(f"/api/clusters/{cid}/attributes", {"editable": editable})
    assert put.status_code == 200 and put.json()["editable"]["vcenter"]["host_ip"]["value"] == "10.0.0.10"
    patch = fuel_api.call("PATCH", f"/api/clusters/{cid}/attributes",
                          {"editable": {"syslog": {"syslog_server": {"value": "10.0.0.5"}}}})
    assert patch.status_code == 200
    after = fuel_api.get(f"/api/clusters/{cid}/attributes").json()["editable"]
    assert after["syslog"]["syslog_server"]["value"] == "10.0.0.5" and after["syslog"]["syslog_port"]["value"] == "514"
    assert after["common"]["libvirt_type"]["value"] == "vcenter"
    defaults = fuel_api.get(f"/api/clusters/{cid}/attributes/defaults").json()["editable"]
    assert defaults["common"]["libvirt_type"]["value"] == "qemu"
    assert fuel_api.put(f"/api/clusters/{cid}/attributes/defaults").json()["editable"] == defaults
    assert "mysql" in fuel_api.get(f"/api/clusters/{cid}/generated").json()


def test_attributes_refuse_generated_and_bad_shapes(fuel_api: FuelHttp) -> None:
    cid = new_cluster(fuel_api)["id"]
    generated = fuel_api.put(f"/api/clusters/{cid}/attributes", {"generated": {}})
    assert generated.status_code == 400 and generated.text == "It is not allowed to update generated attributes"
    assert fuel_api.put(f"/api/clusters/{cid}/attributes", {"editable": []}).status_code == 400
    assert fuel_api.put(f"/api/clusters/{cid}/attributes", [1, 2]).status_code == 400
    assert fuel_api.put("/api/clusters/99/attributes", {"editable": {}}).status_code == 404


# ----- tasks, notifications, logs, misc -----------------------------------------------------------------
def test_tasks_notifications_and_logs(fuel_api: FuelHttp, fuelsim: FuelSimulator) -> None:
    fuelsim.inject_node()
    notes = fuel_api.get("/api/notifications").json()
    assert notes[0]["message"].startswith("Master node installation has been completed successfully")
    discover = [n for n in notes if n["message"].startswith("New node is discovered")][0]
    assert discover["message"] == "New node is discovered: 2 CPUs / 2.0 GB RAM / 50.0 GB HDD"
    assert set(discover) == {"id", "cluster", "topic", "message", "status", "node_id", "task_id", "time", "date"}
    assert discover["topic"] == "discover" and discover["status"] == "unread"
    bulk = fuel_api.put("/api/notifications", [{"id": discover["id"], "status": "read"}])
    assert bulk.status_code == 200 and bulk.json()[0]["status"] == "read"
    one = fuel_api.put(f"/api/notifications/{discover['id']}", {"status": "unread"})
    assert one.json()["status"] == "unread"
    assert fuel_api.put(f"/api/notifications/{discover['id']}", {"status": "weird"}).status_code == 400
    assert fuel_api.get("/api/notifications/999").text == "Notification not found"
    assert fuel_api.delete(f"/api/notifications/{discover['id']}").status_code == 204
    assert fuel_api.get("/api/tasks").json() == []
    assert fuel_api.get("/api/tasks/5").text == "Task not found"
    sources = fuel_api.get("/api/logs/sources").json()
    assert {"app", "api", "astute"} <= {s["id"] for s in sources}
    logs = fuel_api.get("/api/logs", params={"source": "app", "max_entries": 5}).json()
    assert set(logs) == {"entries", "from", "to", "has_more"} and logs["entries"]
    unknown = fuel_api.get("/api/logs", params={"source": "nope"})   # 6.0 handlers/logs.py: 404, not 400
    assert (unknown.status_code, unknown.text) == (404, "Log source not found")
    dump = fuel_api.put("/api/logs/package")
    assert dump.status_code == 202 and dump.json()["name"] == "dump" and dump.json()["status"] == "running"
    assert fuel_api.wait_task(dump.json()["id"])["message"].startswith("/dump/")
    stats = fuel_api.get("/api/nodes/allocation/stats").json()
    assert stats == {"total": 1, "unallocated": 1}
    assert fuel_api.get("/api/redhat/account").status_code == 410
    assert fuel_api.get("/api/settings").json()["settings"]


def test_unknown_urls_and_methods(fuel_api: FuelHttp) -> None:
    assert fuel_api.get("/api/nope").status_code == 404
    assert fuel_api.get("/api/clusters/abc").status_code == 404
    assert fuel_api.get("/api/clusters/1/network_configuration/flat").status_code == 404
    wrong = fuel_api.call("PATCH", "/api/releases")
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]
    assert fuel_api.delete("/api/version").status_code == 405


def test_method_override_header(fuel_api: FuelHttp) -> None:
    cid = new_cluster(fuel_api)["id"]
    reply = fuel_api.post(f"/api/clusters/{cid}", {"name": "via-override"},
                          headers={"X-HTTP-Method-Override": "PUT"})
    assert reply.status_code == 200 and reply.json()["name"] == "via-override"
