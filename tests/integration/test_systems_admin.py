#!/usr/bin/env python3
"""Integration test: administering connected systems (issue 17) against the
real lienthongd, through /v1, the CLI and /vxp.

- The department-binding attack: binding a code to a system is for the
  admin or the manager whose subtree holds it; a system token, a reader, a
  manager of another subtree, and (with vxp_agency_ops off, the default) a
  system over VXP registerAgency are refused, and a refusal is recorded
  nowhere. Every bind and unbind is in the audit trail (who, when).
- With vxp_agency_ops on, registerAgency and deleteAgency bind only codes
  strictly below the system's primary code, recorded the same way.
- The revoked-token VXP attack: revoking a system's token says that VXP
  access continues; `disable` cuts both /v1 and /vxp off (401), the inbox
  is kept, `enable` restores both.
- Tokens and secrets: rotate-token over the CLI and /v1 (the earlier tokens
  refused, the note about VXP), set-secret from standard input and over /v1
  (the SDK keeps its secret), rotate-secret.
- The replayed-signature attack: a captured signature of one VXP operation
  presented to another is refused (401), because its signed key set is not
  the one the SDK sends for that operation.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set.
Standard library only. Ends with a line "N passed, M failed".
"""

import http.client
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402
import ltpkg  # noqa: E402
import ltvxp  # noqa: E402

G22, H47, H17, H14 = "000.00.00.G22", "000.00.00.H47", "000.00.00.H17", "000.00.00.H14"
H17_VP = "000.00.01.H17"      # active, inside H17
H14_TP = "000.00.04.H14"      # Sở Tư pháp tỉnh Cao Bằng: active, inside H14
H47_VP = "000.00.01.H47"      # closed in the merger
NOT_ISSUED = "000.00.99.H17"  # well formed, never issued
KEPT = "the-secret-the-sdk-already-has-42"


def register_body(code, pcode):
    return json.dumps({"id": "", "pcode": pcode, "code": code, "name": "Đơn vị kết nối", "mail": "",
                       "mobile": "", "fax": ""}, ensure_ascii=False).encode("utf-8")


def capture(store):
    """A mutate hook that keeps the headers a call sent (after signing)."""
    def mutate(hdrs):
        store[:] = hdrs
        return hdrs
    return mutate


class SystemsTest(ltd.DaemonTest):
    AGENCY_OPS = None  # vxp_agency_ops of the daemon, None: the default

    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_systems_")
        cls.d = None
        try:
            cls.sys = {c: cls.reg.system_add(n, c) for c, n in
                       ((G22, "QLVB Văn phòng Chính phủ"), (H17, "QLVB Đà Nẵng"), (H14, "QLVB Cao Bằng"))}
            cls.admin = cls.reg.token("admin", name="ops")
            cls.mgr17 = cls.reg.token("manager", scope=H17, name="Sở Nội vụ Đà Nẵng")
            cls.mgr14 = cls.reg.token("manager", scope=H14, name="Sở Nội vụ Cao Bằng")
            cls.reader = cls.reg.token("reader")
            env = {} if cls.AGENCY_OPS is None else {"VXP_AGENCY_OPS": cls.AGENCY_OPS}
            cls.d = ltd.Daemon(cls.reg, **env).start()
        except BaseException:
            cls.tearDownClass()
            raise

    # ---- helpers ----

    def sid(self, code):
        return self.sys[code]["id"]

    def vxp(self, code, secret=None):
        """A fresh SDK service object for the system (no leaked keys yet)."""
        return ltvxp.Client("127.0.0.1", self.d.port, code, secret or self.sys[code]["vxp_secret"])

    def codes(self, code):
        r = self.d.get("/v1/systems", token=self.admin)
        self.assertStatus(r, 200)
        return [s for s in r.json()["items"] if s["id"] == self.sid(code)][0]["codes"]

    def audit(self, code):
        r = self.d.get(f"/v1/audit?target=system:{self.sid(code)}&limit=1000", token=self.admin)
        self.assertStatus(r, 200)
        return r.json()["items"]

    def vxp_status(self, client, op="getReceivedEdocList", params=None, body=b""):
        params = params if params is not None else {"servicetype": "eDoc", "messagetype": "edoc"}
        st, _, b = client.raw("POST", op, params, body, timeout=15)
        return st, json.loads(b)

    def replay(self, hdrs, op, body=b"{}"):
        """Sends captured signed headers, unchanged, to another operation."""
        conn = http.client.HTTPConnection("127.0.0.1", self.d.port, timeout=15)
        try:
            h = {k: v for k, v in hdrs if k.lower() not in ("connection",)}
            h["Content-Length"] = str(len(body))
            conn.request("POST", f"/vxp/{op}", body=body, headers=h)
            r = conn.getresponse()
            return r.status, json.loads(r.read())
        finally:
            conn.close()


class SystemsAdmin(SystemsTest):
    """vxp_agency_ops at its default (off). Tests run in name order."""

    def test_01_department_binding_attack_over_v1(self):
        sid14, sid17 = self.sid(H14), self.sid(H17)
        path = f"/v1/systems/{sid14}/codes"
        before = self.audit(H14)
        self.assertEqual([e["action"] for e in before], ["system.add"])
        # A system's own bearer token, whether for itself or another system.
        r = self.d.post(path, {"code": H14_TP}, token=self.sys[H14]["token"])
        self.assertError(r, 403, contains="/v1")
        r = self.d.post(f"/v1/systems/{sid17}/codes", {"code": H17_VP}, token=self.sys[H14]["token"])
        self.assertError(r, 403)
        # A manager of another subtree, a reader, nobody.
        self.assertError(self.d.post(path, {"code": H14_TP}, token=self.mgr17), 403, contains=H14_TP)
        self.assertError(self.d.post(path, {"code": H14_TP}, token=self.reader), 403)
        self.assertError(self.d.post(path, {"code": H14_TP}), 401)
        # A manager never binds a code outside its subtree, whichever system it binds it to.
        self.assertError(self.d.post(f"/v1/systems/{sid17}/codes", {"code": H14_TP}, token=self.mgr17), 403)
        self.assertNotIn(H14_TP, self.codes(H14))
        self.assertEqual(self.audit(H14), before, "a refused bind left an audit entry")
        # Bad input: changes nothing either.
        self.assertError(self.d.post("/v1/systems/x1/codes", {"code": H14_TP}, token=self.admin), 400)
        self.assertError(self.d.post("/v1/systems/999/codes", {"code": H14_TP}, token=self.admin), 404)
        self.assertError(self.d.post(path, {"code": "000.00.4.H14"}, token=self.admin), 400)
        self.assertError(self.d.post(path, {"code": "000.00.98.H14"}, token=self.admin), 404)
        self.assertError(self.d.post(path, {"code": H47_VP}, token=self.admin), 422, contains="closed")
        self.assertError(self.d.post(path, {"codes": [H14_TP]}, token=self.admin), 400)
        self.assertEqual(self.audit(H14), before)
        # The code's own manager binds it; a repeat changes nothing.
        r = self.d.post(path, {"code": H14_TP}, token=self.mgr14)
        self.assertStatus(r, 200)
        self.assertIn(H14_TP, r.json()["codes"])
        self.assertStatus(self.d.post(path, {"code": H14_TP}, token=self.mgr14), 200)
        trail = self.audit(H14)
        self.assertEqual([e["action"] for e in trail], ["system.add", "system.bind"])
        bind = trail[1]
        self.assertEqual(bind["detail"], {"code": H14_TP})
        self.assertEqual(bind["role"], "manager")
        self.assertIn("Sở Nội vụ Cao Bằng", bind["who"])
        self.assertRegex(bind["at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
        # Only an admin reads the trail.
        self.assertError(self.d.get("/v1/audit", token=self.mgr14), 403)
        self.assertError(self.d.get("/v1/audit", token=self.sys[H14]["token"]), 403)
        self.assertError(self.d.get("/v1/audit"), 401)
        self.assertError(self.d.get("/v1/audit?limit=0", token=self.admin), 400)
        # Unbinding: the same rules; the primary code stays.
        upath = f"/v1/systems/{sid14}/codes/{H14_TP}"
        self.assertError(self.d.request("DELETE", upath, token=self.mgr17), 403)
        self.assertError(self.d.request("DELETE", upath, token=self.sys[H14]["token"]), 403)
        self.assertError(self.d.request("DELETE", f"/v1/systems/{sid14}/codes/{H14}", token=self.admin), 422)
        self.assertStatus(self.d.request("DELETE", upath, token=self.mgr14), 200)
        self.assertError(self.d.request("DELETE", upath, token=self.mgr14), 404)
        self.assertNotIn(H14_TP, self.codes(H14))
        self.assertEqual([e["action"] for e in self.audit(H14)], ["system.add", "system.bind", "system.unbind"])

    def test_02_department_binding_attack_over_vxp_is_off_by_default(self):
        agency = self.vxp(H17)
        n = len(self.audit(H17))
        st, r = self.vxp_status(agency, "registerAgency", {}, register_body(H17_VP, H17))
        self.assertEqual((st, r["status"]), (403, "FAIL"), r)
        self.assertIn("vxp_agency_ops", r["ErrorDesc"])
        st, r = self.vxp_status(agency, "deleteAgency", {"AgencyCode": H17}, b"{}")
        self.assertEqual(st, 403, r)
        self.assertEqual(self.codes(H17), [H17])
        self.assertEqual(len(self.audit(H17)), n, "a refused registerAgency left an audit entry")

    def test_03_revoked_token_vxp_attack(self):
        code, sid = H14, self.sid(H14)
        client = self.vxp(code)
        # A document waits for H14 throughout.
        pkg, _ = ltpkg.edoc(G22, [H14], number="17", subject="Gửi Cao Bằng trước khi ngắt")
        st, _, b = self.vxp(G22).raw("POST", "sendEdoc",
                                     {"servicetype": "eDoc", "messagetype": "edoc",
                                      "hash-file": ltvxp.sdk_hash_file(pkg), "from": G22},
                                     pkg + b"\r\n", "application/octet-stream", timeout=30)
        self.assertEqual(st, 200, b)
        doc = json.loads(b)["DocId"]
        # Revoking the token: /v1 refused, and the reply says /vxp is not.
        tokens = json.loads(self.reg.check("token", "list", "--json"))
        tid = [t for t in tokens if t["system_id"] == sid and not t["revoked"]][0]["id"]
        p = self.reg.run("token", "revoke", str(tid))
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        self.assertIn("still reaches /vxp", p.stdout)
        self.assertIn(f"lienthong system disable {sid}", p.stdout)
        self.assertError(self.d.get("/v1/inbox", token=self.sys[code]["token"]), 401)
        st, r = self.vxp_status(client)
        self.assertEqual(st, 200, r)
        self.assertIn(doc, [x["docId"] for x in r["data"]])
        # A new token, then disable: both doors shut.
        out = json.loads(self.reg.check("system", "rotate-token", str(sid), "--json"))
        new_token = out["token"]
        self.assertIn("VXP access continues", out["note"])
        self.assertStatus(self.d.get("/v1/inbox", token=new_token), 200)
        p = self.reg.run("system", "disable", str(sid))
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        r = self.d.get("/v1/inbox", token=new_token)
        self.assertError(r, 401, contains="disabled")
        for op, params, body in (("getReceivedEdocList", {"servicetype": "eDoc", "messagetype": "edoc"}, b""),
                                 ("getEdoc", {"docId": doc, "filePath": "/tmp/e"}, b"{}"),
                                 ("updateStatus", {"docId": doc, "status": "done"}, b"{}"),
                                 ("getAgenciesList", {}, b"")):
            st, r = self.vxp_status(client, op, params, body)
            self.assertEqual((st, r["status"], r["ErrorCode"]), (401, "FAIL", "401"), f"{op}: {r}")
            self.assertIn("disabled", r["ErrorDesc"])
        st, _, b = client.raw("GET", "downloadEdoc", {"docId": doc, "filePath": "/tmp/e"}, timeout=15)
        self.assertEqual(st, 401, b)
        self.assertIn(b'"disabled": true', self.reg.check("system", "list", "--json").encode())
        # Enabled again: both doors open, and the inbox was kept.
        p = self.reg.run("system", "enable", str(sid))
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        self.assertStatus(self.d.get("/v1/inbox", token=new_token), 200)
        st, r = self.vxp_status(client)
        self.assertEqual(st, 200, r)
        self.assertIn(doc, [x["docId"] for x in r["data"]])
        self.sys[code]["token"] = new_token
        # The same over /v1: PATCH by a manager of another subtree is refused, by the admin it holds.
        path = f"/v1/systems/{sid}"
        self.assertError(self.d.patch(path, {"disabled": True}, token=self.mgr17), 403)
        self.assertError(self.d.patch(path, {"disabled": True}, token=new_token), 403)
        self.assertError(self.d.patch(path, {"disabled": "yes"}, token=self.admin), 400)
        self.assertError(self.d.patch("/v1/systems/999", {"disabled": True}, token=self.admin), 404)
        r = self.d.patch(path, {"disabled": True}, token=self.mgr14)  # all its codes are in H14
        self.assertStatus(r, 200)
        self.assertIs(r.json()["disabled"], True)
        self.assertEqual(self.vxp_status(client)[0], 401)
        self.assertError(self.d.get("/v1/inbox", token=new_token), 401)
        r = self.d.patch(path, {"disabled": False}, token=self.admin)
        self.assertStatus(r, 200)
        self.assertIs(r.json()["disabled"], False)
        self.assertEqual(self.vxp_status(client)[0], 200)
        actions = [e["action"] for e in self.audit(code)]
        self.assertEqual(actions[-5:], ["system.rotate_token", "system.disable", "system.enable", "system.disable",
                                        "system.enable"])
        r = self.d.get(f"/v1/audit?target=token:{tid}", token=self.admin)
        self.assertEqual([e["action"] for e in r.json()["items"]], ["token.revoke"])

    def test_04_tokens_and_secrets(self):
        code, sid = H17, self.sid(H17)
        old_token, old_secret = self.sys[code]["token"], self.sys[code]["vxp_secret"]
        # A new token over /v1: the earlier one refused, the note said.
        self.assertError(self.d.post(f"/v1/systems/{sid}/token", None, token=self.mgr14), 403)
        self.assertError(self.d.post(f"/v1/systems/{sid}/token", None, token=old_token), 403)
        r = self.d.post(f"/v1/systems/{sid}/token", None, token=self.mgr17)
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["revoked"], 1)
        self.assertIn("VXP access continues", r.json()["note"])
        token = r.json()["token"]
        self.assertError(self.d.get("/v1/inbox", token=old_token), 401)
        self.assertStatus(self.d.get("/v1/inbox", token=token), 200)
        # Keep the secret the SDK already has, over /v1.
        path = f"/v1/systems/{sid}/vxp-secret"
        self.assertError(self.d.post(path, {"secret": KEPT}, token=self.mgr14), 403)
        self.assertError(self.d.post(path, {"secret": "short"}, token=self.admin), 400)
        self.assertError(self.d.post(path, {"secret": "with a space inside it"}, token=self.admin), 400)
        self.assertError(self.d.post(path, {"secret": 42}, token=self.admin), 400)
        self.assertEqual(self.vxp_status(self.vxp(code, old_secret))[0], 200, "a refusal changed the secret")
        r = self.d.post(path, {"secret": KEPT}, token=self.mgr17)
        self.assertStatus(r, 200)
        self.assertNotIn(KEPT, r.text(), "the secret was echoed")
        self.assertEqual(self.vxp_status(self.vxp(code, KEPT))[0], 200)
        self.assertEqual(self.vxp_status(self.vxp(code, old_secret))[0], 401)
        # Rotate over /v1: shown once.
        r = self.d.post(path, {}, token=self.admin)
        self.assertStatus(r, 200)
        fresh = r.json()["vxp_secret"]
        self.assertTrue(fresh.startswith("vxp_"))
        self.assertEqual(self.vxp_status(self.vxp(code, fresh))[0], 200)
        self.assertEqual(self.vxp_status(self.vxp(code, KEPT))[0], 401)
        # The CLI: set-secret from standard input, never an argument.
        p = subprocess.run([ltd.CLI, "system", "set-secret", str(sid)], input=KEPT + "\n", cwd=self.reg.dir,
                           env=self.reg.env, capture_output=True, encoding="utf-8", timeout=60)
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        self.assertNotIn(KEPT, p.stdout + p.stderr)
        self.assertEqual(self.vxp_status(self.vxp(code, KEPT))[0], 200)
        p = subprocess.run([ltd.CLI, "system", "set-secret", str(sid)], input="", cwd=self.reg.dir,
                           env=self.reg.env, capture_output=True, encoding="utf-8", timeout=60)
        self.assertEqual(p.returncode, 2, ltd.detail(p))
        p = subprocess.run([ltd.CLI, "system", "set-secret", str(sid)], input="tooshort\n", cwd=self.reg.dir,
                           env=self.reg.env, capture_output=True, encoding="utf-8", timeout=60)
        self.assertEqual(p.returncode, 1, ltd.detail(p))
        out = json.loads(self.reg.check("system", "rotate-secret", str(sid), "--json"))
        self.assertEqual(self.vxp_status(self.vxp(code, out["vxp_secret"]))[0], 200)
        self.sys[code].update(token=token, vxp_secret=out["vxp_secret"])
        actions = [e["action"] for e in self.audit(code)]
        self.assertEqual(actions[-5:], ["system.rotate_token", "system.set_secret", "system.rotate_secret",
                                        "system.set_secret", "system.rotate_secret"])
        for e in self.audit(code):
            self.assertNotIn(KEPT, json.dumps(e), "a secret in the audit trail")
        # The CLI's bind, unbind and the trail, as the local account.
        self.assertEqual(self.reg.run("system", "bind", str(sid), NOT_ISSUED).returncode, 1)
        self.assertEqual(self.reg.run("system", "bind", str(sid)).returncode, 2)
        self.assertEqual(self.reg.run("system", "disable", "x").returncode, 2)
        self.assertEqual(self.reg.run("system", "enable", "999").returncode, 1)
        self.reg.check("system", "bind", str(sid), H17_VP)
        self.assertIn(H17_VP, self.codes(code))
        self.reg.check("system", "unbind", str(sid), H17_VP)
        self.assertNotIn(H17_VP, self.codes(code))
        trail = json.loads(self.reg.check("audit", "--target", f"system:{sid}", "--json"))
        self.assertEqual([e["action"] for e in trail[-2:]], ["system.bind", "system.unbind"])
        self.assertTrue(trail[-1]["who"].startswith("cli:"), trail[-1])
        self.assertEqual(trail[-1]["role"], "admin")

    def test_05_replayed_signature_attack(self):
        """A captured signature presented to another operation: refused."""
        docs = self.vxp(H17)
        seen = []
        st, _, b = docs.raw("POST", "getReceivedEdocList", {"servicetype": "eDoc", "messagetype": "edoc"}, b"",
                            timeout=15, mutate=capture(seen))
        self.assertEqual(st, 200, b)
        n = len(self.audit(H17))
        for op, body in (("registerAgency", register_body(H17_VP, H17)), ("deleteAgency", b"{}"),
                         ("updateStatus", b"{}"), ("getEdoc", b"{}"), ("sendEdoc", b"x")):
            st, r = self.replay(seen, op, body)
            self.assertEqual((st, r["status"]), (401, "FAIL"), f"{op}: {r}")
            self.assertIn("does not authorise " + op, r["ErrorDesc"])
        # The same headers on the operation they were made for still work: the refusal is the operation's.
        self.assertEqual(self.replay(seen, "getReceivedEdocList", b"")[0], 200)
        # The agency object's catalogue call, replayed as deleteAgency: no AgencyCode signed.
        agency, seen = self.vxp(H17), []
        st, _, b = agency.raw("POST", "getAgenciesList", {}, b"", timeout=15, mutate=capture(seen))
        self.assertEqual(st, 200)
        st, r = self.replay(seen, "deleteAgency")
        self.assertEqual(st, 401, r)
        # A deleteAgency signature, replayed as a document call.
        seen = []
        agency.raw("POST", "deleteAgency", {"AgencyCode": H17_VP}, b"{}", timeout=15, mutate=capture(seen))
        for op in ("getEdoc", "updateStatus", "getReceivedEdocList"):
            self.assertEqual(self.replay(seen, op)[0], 401, op)
        self.assertEqual(self.codes(H17), [H17])
        self.assertEqual(len(self.audit(H17)), n)


    def test_06_manager_binds_to_a_system_outside_its_subtree(self):
        """A manager attaches its units to a system of its own subtree, or to
        one of a unit above them; never to another subtree's system, which
        would then speak for the manager's unit and slip out of its own
        manager's hands (only an admin could manage it any more)."""
        sid14, sid17 = self.sid(H14), self.sid(H17)
        n17, n14 = len(self.audit(H17)), len(self.audit(H14))
        e = self.assertError(self.d.post(f"/v1/systems/{sid17}/codes", {"code": H14_TP}, token=self.mgr14), 403)
        self.assertIn(H17, e["message"])
        self.assertEqual(self.codes(H17), [H17])
        self.assertEqual(len(self.audit(H17)), n17, "a refused bind left an audit entry")
        # Đà Nẵng's manager still manages its system.
        self.assertStatus(self.d.patch(f"/v1/systems/{sid17}", {"disabled": False}, token=self.mgr17), 200)
        # The CLI acts as the operator: it may.
        p = self.reg.run("system", "bind", str(sid17), H14_TP)
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        p = self.reg.run("system", "unbind", str(sid17), H14_TP)
        self.assertEqual(p.returncode, 0, ltd.detail(p))
        # A department's manager attaches it to its province's system.
        tp = self.reg.token("manager", scope=H14_TP, name="Sở Tư pháp Cao Bằng")
        self.assertStatus(self.d.post(f"/v1/systems/{sid14}/codes", {"code": H14_TP}, token=tp), 200)
        self.assertStatus(self.d.request("DELETE", f"/v1/systems/{sid14}/codes/{H14_TP}", token=tp), 200)
        self.assertEqual(len(self.audit(H14)), n14 + 2)

    def test_07_numbers_out_of_range(self):
        """A system id or cursor beyond 64 bits is bad input (400, exit 2),
        not the largest id there is."""
        big = "99999999999999999999"
        e = self.assertError(self.d.patch(f"/v1/systems/{big}", {"disabled": True}, token=self.admin), 400)
        self.assertIn(big, e["message"])
        self.assertError(self.d.post(f"/v1/systems/{big}/token", None, token=self.admin), 400)
        self.assertError(self.d.get(f"/v1/audit?after={big}", token=self.admin), 400)
        p = self.reg.run("system", "disable", big)
        self.assertEqual(p.returncode, 2, ltd.detail(p))
        # Every other id and cursor is read the same way.
        self.assertError(self.d.request("DELETE", f"/v1/units/{H14}/certificates/{big}", token=self.admin), 400)
        self.assertError(self.d.request("DELETE", f"/v1/units/{H14}/certificates/+1", token=self.admin), 400)
        self.assertError(self.d.get(f"/v1/inbox?cursor={big}", token=self.sys[H14]["token"]), 400)
        self.assertError(self.d.get(f"/v1/requests/{big}", token=self.admin), 400)
        p = self.reg.run("token", "revoke", big)
        self.assertEqual(p.returncode, 2, ltd.detail(p))

class AgencyOpsOn(SystemsTest):
    """vxp_agency_ops = on: registerAgency and deleteAgency strictly below the primary code."""

    AGENCY_OPS = "on"

    def test_01_register_and_delete_below_the_primary_code(self):
        agency = self.vxp(H17)  # the SDK's AgencyServiceImp: no document keys
        st, r = self.vxp_status(agency, "registerAgency", {}, register_body(H17_VP, H17))
        self.assertEqual((st, r["status"]), (200, "OK"), r)
        self.assertIn(H17_VP, self.codes(H17))
        st, r = self.vxp_status(agency, "registerAgency", {}, register_body(H17_VP, H17))
        self.assertEqual(st, 200, "a repeat is harmless")
        trail = self.audit(H17)
        self.assertEqual([e["action"] for e in trail], ["system.add", "system.bind"])
        self.assertIn("via VXP", trail[1]["who"])
        self.assertEqual(trail[1]["role"], "system")
        self.assertEqual(trail[1]["detail"], {"code": H17_VP})
        # Not strictly below its own code: its own code, another province, a closed unit elsewhere.
        for code, pcode in ((H17, ""), ("000.00.04.H14", H14), (H47_VP, H47)):
            st, r = self.vxp_status(agency, "registerAgency", {}, register_body(code, pcode))
            self.assertEqual(st, 403, f"{code}: {r}")
        st, r = self.vxp_status(agency, "registerAgency", {}, register_body(NOT_ISSUED, H17))
        self.assertEqual(st, 404, r)
        self.assertNotEqual(self.reg.run("unit", "show", NOT_ISSUED).returncode, 0, "registerAgency created a code")
        st, r = self.vxp_status(self.vxp(G22), "registerAgency", {}, register_body(H17_VP, H17))
        self.assertEqual(st, 403, r)
        self.assertEqual(len(self.audit(H17)), 2)
        # A system's bearer token over /v1 stays refused whatever the setting.
        r = self.d.post(f"/v1/systems/{self.sid(H17)}/codes", {"code": "000.00.07.H17"}, token=self.sys[H17]["token"])
        self.assertError(r, 403)
        # The connected unit receives through the system.
        pkg, _ = ltpkg.edoc(G22, [H17_VP], number="90", subject="Gửi Văn phòng")
        st, _, b = self.vxp(G22).raw("POST", "sendEdoc",
                                     {"servicetype": "eDoc", "messagetype": "edoc",
                                      "hash-file": ltvxp.sdk_hash_file(pkg), "from": G22},
                                     pkg + b"\r\n", "application/octet-stream", timeout=30)
        self.assertEqual(st, 200, b)
        sent = json.loads(b)["DocId"]
        st, r = self.vxp_status(self.vxp(H17))
        self.assertIn(sent, [x["docId"] for x in r["data"]])
        # deleteAgency: its own code stays; the unit below goes, recorded.
        st, r = self.vxp_status(agency, "deleteAgency", {"AgencyCode": H17}, b"{}")
        self.assertEqual(st, 403, r)
        st, r = self.vxp_status(agency, "deleteAgency", {"AgencyCode": H17_VP}, b"{}")
        self.assertEqual((st, r["status"]), (200, "OK"), r)
        self.assertEqual(self.codes(H17), [H17])
        self.assertEqual([e["action"] for e in self.audit(H17)][-1], "system.unbind")

    def test_02_document_keys_do_not_register(self):
        """A signature carrying document keys (a document call's, captured
        or leaked) does not authorise registerAgency, even with the setting on."""
        docs = self.vxp(H17)
        seen = []
        docs.raw("POST", "getReceivedEdocList", {"servicetype": "eDoc", "messagetype": "edoc"}, b"", timeout=15,
                 mutate=capture(seen))
        n = len(self.audit(H17))
        st, r = self.replay(seen, "registerAgency", register_body(H17_VP, H17))
        self.assertEqual(st, 401, r)
        self.assertIn("servicetype", r["ErrorDesc"])
        st, r = self.vxp_status(docs, "registerAgency", {}, register_body(H17_VP, H17))
        self.assertEqual(st, 401, r)
        self.assertNotIn(H17_VP, self.codes(H17))
        self.assertEqual(len(self.audit(H17)), n)


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
