#!/usr/bin/env python3
"""Integration test: bearer tokens over HTTP (issue 22), GET/POST /v1/tokens
and DELETE /v1/tokens/{id}, against the real lienthongd.

- An admin makes a token with a role, a scope and a name: the secret is in
  the reply once, works at once, is never listed; the act is in the audit
  trail (who, when), as the revocation is; a revoked token gets 401.
- A manager makes and revokes only requester tokens for units of its own
  subtree, and lists only those.
- Callers outside that are refused (anonymous 401; reader, requester,
  system, a manager of another subtree or asking for another role 403) and
  a refusal leaves no token and no audit entry.
- Bad input (unknown role, missing or extra fields, a scope that is not a
  code, not issued, or closed, a system token, a bad id) changes nothing.
- `lienthong token create` is recorded in the audit trail too.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set.
Standard library only. Ends with a line "N passed, M failed".
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402

H14, H17 = "000.00.00.H14", "000.00.00.H17"
H14_TP = "000.00.04.H14"  # Sở Tư pháp tỉnh Cao Bằng: active, inside H14
H47_VP = "000.00.01.H47"  # closed in the merger


class TokensHttp(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_tokens_")
        cls.d = None
        try:
            cls.sys14 = cls.reg.system_add("QLVB Cao Bằng", H14)
            cls.admin = cls.reg.token("admin", name="ops")
            cls.mgr14 = cls.reg.token("manager", scope=H14, name="Sở Nội vụ Cao Bằng")
            cls.mgr17 = cls.reg.token("manager", scope=H17, name="Sở Nội vụ Đà Nẵng")
            cls.reader = cls.reg.token("reader")
            cls.requester = cls.reg.token("requester", scope=H14_TP, name="Sở Tư pháp")
            cls.d = ltd.Daemon(cls.reg).start()
        except BaseException:
            cls.tearDownClass()
            raise

    def tokens(self, token=None):
        r = self.d.get("/v1/tokens", token=token or self.admin)
        self.assertStatus(r, 200)
        return r.json()["items"]

    def audit(self, target=None):
        q = f"&target={target}" if target else ""
        r = self.d.get(f"/v1/audit?limit=1000{q}", token=self.admin)
        self.assertStatus(r, 200)
        return r.json()["items"]

    def delete(self, path, token=None):
        return self.d.request("DELETE", path, token=token)

    def test_admin_creates_lists_and_revokes(self):
        r = self.d.post("/v1/tokens", {"role": "manager", "scope": H14, "name": "Phòng Tổ chức"},
                        token=self.admin)
        self.assertStatus(r, 201)
        t = r.json()
        self.assertTrue(t["token"].startswith("lt_"), t)
        self.assertEqual((t["role"], t["scope"], t["name"], t["revoked"], t["system_id"]),
                         ("manager", H14, "Phòng Tổ chức", None, None))
        me = self.d.get("/v1/me", token=t["token"])
        self.assertStatus(me, 200)
        self.assertEqual((me.json()["role"], me.json()["scope"]), ("manager", H14))
        listed = [x for x in self.tokens() if x["id"] == t["id"]]
        self.assertEqual(len(listed), 1)
        self.assertNotIn("token", listed[0], "the secret is shown once, never listed")
        self.assertNotIn(t["token"], self.d.get("/v1/tokens", token=self.admin).text())
        entries = self.audit(f"token:{t['id']}")
        self.assertEqual([e["action"] for e in entries], ["token.create"])
        self.assertIn("(ops)", entries[0]["who"])
        self.assertEqual(entries[0]["detail"], {"role": "manager", "scope": H14, "name": "Phòng Tổ chức"})
        self.assertNotIn(t["token"], str(entries))

        r = self.delete(f"/v1/tokens/{t['id']}", token=self.admin)
        self.assertStatus(r, 200)
        self.assertTrue(r.json()["revoked"])
        self.assertError(self.d.get("/v1/me", token=t["token"]), 401)
        self.assertTrue([x for x in self.tokens() if x["id"] == t["id"]][0]["revoked"])
        self.assertEqual([e["action"] for e in self.audit(f"token:{t['id']}")], ["token.create", "token.revoke"])
        self.assertError(self.delete(f"/v1/tokens/{t['id']}", token=self.admin), 404)

    def test_a_system_token_revoked_notes_the_vxp_secret(self):
        sid = [x for x in self.tokens() if x["system_id"] == self.sys14["id"] and not x["revoked"]]
        self.assertEqual(len(sid), 1, sid)
        r = self.delete(f"/v1/tokens/{sid[0]['id']}", token=self.admin)
        self.assertStatus(r, 200)
        self.assertIn("VXP secret", r.json()["note"])
        self.assertError(self.d.get("/v1/me", token=self.sys14["token"]), 401)

    def test_manager_makes_and_revokes_requesters_of_its_subtree(self):
        r = self.d.post("/v1/tokens", {"role": "requester", "scope": H14_TP, "name": "Văn thư Sở Tư pháp"},
                        token=self.mgr14)
        self.assertStatus(r, 201)
        t = r.json()
        self.assertEqual(self.d.get("/v1/me", token=t["token"]).json()["role"], "requester")
        mine = self.tokens(self.mgr14)
        self.assertTrue(mine and all(x["role"] == "requester" and x["scope"] == H14_TP for x in mine), mine)
        self.assertIn(t["id"], [x["id"] for x in mine])
        self.assertEqual(self.tokens(self.mgr17), [], "nothing of H14 is shown to H17's manager")
        who = self.audit(f"token:{t['id']}")[0]["who"]
        self.assertIn("Sở Nội vụ Cao Bằng", who)
        self.assertError(self.delete(f"/v1/tokens/{t['id']}", token=self.mgr17), 403, contains=H14_TP)
        self.assertStatus(self.delete(f"/v1/tokens/{t['id']}", token=self.mgr14), 200)
        self.assertError(self.d.get("/v1/me", token=t["token"]), 401)

    def test_callers_outside_scope_are_refused(self):
        before_tokens, before_audit = self.tokens(), self.audit()
        admin_id = [x["id"] for x in before_tokens if x["role"] == "admin"][0]
        req_id = [x["id"] for x in before_tokens if x["role"] == "requester" and not x["revoked"]][0]
        # Nobody: 401 on every route.
        self.assertError(self.d.get("/v1/tokens"), 401)
        self.assertError(self.d.post("/v1/tokens", {"role": "admin"}), 401)
        self.assertError(self.delete(f"/v1/tokens/{admin_id}"), 401)
        # Roles that manage no token: 403, even for a system token or a bad role.
        for tok in (self.reader, self.requester, self.sys14_token()):
            if tok is None:
                continue
            self.assertError(self.d.get("/v1/tokens", token=tok), 403)
            self.assertError(self.d.post("/v1/tokens", {"role": "admin"}, token=tok), 403)
            self.assertError(self.d.post("/v1/tokens", {"role": "system"}, token=tok), 403)
            self.assertError(self.d.post("/v1/tokens", {"role": "requester", "scope": H14_TP}, token=tok), 403)
            self.assertError(self.delete(f"/v1/tokens/{req_id}", token=tok), 403)
            self.assertError(self.delete(f"/v1/tokens/{admin_id}", token=tok), 403)
        # A manager: no other role, no unit outside its subtree, no one else's token.
        for role in ("admin", "manager", "reader"):
            body = {"role": role, "scope": H17} if role == "manager" else {"role": role}
            self.assertError(self.d.post("/v1/tokens", body, token=self.mgr17), 403, contains=role)
        self.assertError(self.d.post("/v1/tokens", {"role": "manager", "scope": "000.00.01.H17"}, token=self.mgr17),
                         403)
        self.assertError(self.d.post("/v1/tokens", {"role": "requester", "scope": H14_TP}, token=self.mgr17), 403,
                         contains="outside")
        self.assertError(self.d.post("/v1/tokens", {"role": "requester", "scope": H14}, token=self.mgr17), 403)
        self.assertError(self.delete(f"/v1/tokens/{admin_id}", token=self.mgr14), 403)
        self.assertError(self.delete(f"/v1/tokens/{req_id}", token=self.mgr17), 403)
        # Nothing changed.
        self.assertEqual(self.tokens(), before_tokens)
        self.assertEqual(self.audit(), before_audit)

    def sys14_token(self):
        """The system's bearer token while it is valid (another test revokes it)."""
        return self.sys14["token"] if self.d.get("/v1/me", token=self.sys14["token"]).status == 200 else None

    def test_bad_input_changes_nothing(self):
        before_tokens, before_audit = self.tokens(), self.audit()
        for body, status in (
            ({"role": "superuser"}, 400),
            ({}, 400),
            ({"role": "admin", "extra": 1}, 400),
            ({"role": 3}, 400),
            ({"role": "manager"}, 400),
            ({"role": "manager", "scope": "000.00.4.H14"}, 400),
            ({"role": "manager", "scope": "000.00.98.H14"}, 404),
            ({"role": "manager", "scope": H47_VP}, 422),
            ({"role": "reader", "scope": H14}, 400),
            ({"role": "system"}, 400),
            ({"role": "admin", "name": "x" * 200}, 400),
        ):
            self.assertError(self.d.post("/v1/tokens", body, token=self.admin), status, msg=str(body))
        self.assertError(self.d.post("/v1/tokens", "[1]", token=self.admin), 400)
        self.assertError(self.delete("/v1/tokens/x1", token=self.admin), 400)
        self.assertError(self.delete("/v1/tokens/0", token=self.admin), 400)
        self.assertError(self.delete("/v1/tokens/99999", token=self.admin), 404)
        self.assertEqual(self.tokens(), before_tokens)
        self.assertEqual(self.audit(), before_audit)

    def test_cli_token_create_is_audited(self):
        tok = self.reg.token("reader", name="cli-made")
        me = self.d.get("/v1/me", token=tok).json()
        entries = self.audit(f"token:{me['id']}" if "id" in me else None)
        made = [e for e in entries if e["action"] == "token.create" and e["detail"].get("name") == "cli-made"]
        self.assertEqual(len(made), 1, entries)
        self.assertTrue(made[0]["who"].startswith("cli:"), made[0])


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
