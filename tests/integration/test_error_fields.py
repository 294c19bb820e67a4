#!/usr/bin/env python3
"""Integration test: error replies name the field they concern (issue 22),
so the web interface can say it in Vietnamese next to that field, without
changing the error contract {"error":{"code","message"}}.

- A body's unknown, mistyped or missing field; a bad code in a field; the
  registry's checks (decision number, date and issuer, effective date, name,
  email, phone, website, a reissued number); a token's scope: each carries
  "field" beside "code" and "message".
- An error that concerns no field (404, 401, 403) has no "field" key.

Run by ctest as `python3 FILE` with LT_BUILD_DIR and LT_SOURCE_DIR set.
Standard library only. Ends with a line "N passed, M failed".
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltd  # noqa: E402

H14 = "000.00.00.H14"
DECISION = {"number": "1/QĐ-UBND", "date": "2026-10-15", "issuer": "UBND tỉnh Cao Bằng"}


class ErrorFields(ltd.DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.reg = ltd.Registry(prefix="lt_test_fields_")
        cls.d = None
        try:
            cls.admin = cls.reg.token("admin", name="ops")
            cls.mgr = cls.reg.token("manager", scope=H14, name="Sở Nội vụ Cao Bằng")
            cls.d = ltd.Daemon(cls.reg).start()
        except BaseException:
            cls.tearDownClass()
            raise

    def field_of(self, r, status, code):
        e = self.assertError(r, status, code)
        self.assertEqual(set(e) - {"field"}, {"code", "message"}, e)
        return e.get("field")

    def issue(self, **over):
        body = {"parent": H14, "name": "Trung tâm Thử nghiệm", "decision": dict(DECISION)}
        for k, v in over.items():
            if k.startswith("decision_"):
                body["decision"][k[9:]] = v
            else:
                body[k] = v
        return self.d.post("/v1/units", body, token=self.admin)

    def test_body_fields(self):
        r = self.d.post("/v1/units", {"parent": H14, "nme": "x"}, token=self.admin)
        self.assertEqual(self.field_of(r, 400, "bad_request"), "nme")
        r = self.d.post("/v1/units", {"parent": H14, "name": 7}, token=self.admin)
        self.assertEqual(self.field_of(r, 400, "bad_request"), "name")
        r = self.d.post("/v1/tokens", {"name": "x"}, token=self.admin)
        self.assertEqual(self.field_of(r, 400, "bad_request"), "role")
        r = self.d.post("/v1/systems", {"name": "x", "codes": ["000.00.4.H14"]}, token=self.admin)
        self.assertEqual(self.field_of(r, 400, "bad_request"), "codes")

    def test_registry_checks(self):
        cases = [
            ({"decision_number": ""}, 400, "bad_request", "decision.number"),
            ({"decision_date": ""}, 400, "bad_request", "decision.date"),
            ({"decision_issuer": ""}, 400, "bad_request", "decision.issuer"),
            ({"decision_date": "2026-02-30"}, 400, "bad_request", "decision.date"),
            ({"effective": "07/13/2026"}, 400, "bad_request", "effective"),
            ({"effective": "1990-01-01"}, 422, "rule_refused", "effective"),
            ({"name": "  !!  "}, 400, "bad_request", "name"),
            ({"email": "not an address"}, 400, "bad_request", "email"),
            ({"phone": "call me"}, 400, "bad_request", "phone"),
            ({"website": "no dot"}, 400, "bad_request", "website"),
            ({"number": 1}, 409, "conflict", "number"),
        ]
        for over, status, code, field in cases:
            with self.subTest(over=over):
                self.assertEqual(self.field_of(self.issue(**over), status, code), field)

    def test_token_scope(self):
        r = self.d.post("/v1/tokens", {"role": "manager", "scope": "000.00.01.H47"}, token=self.admin)
        self.assertEqual(self.field_of(r, 422, "rule_refused"), "scope")
        r = self.d.post("/v1/tokens", {"role": "manager", "scope": "000.00.98.H14"}, token=self.admin)
        self.assertEqual(self.field_of(r, 404, "not_found"), "scope")

    def test_no_field_when_none_is_concerned(self):
        self.assertIsNone(self.field_of(self.d.get("/v1/units/000.00.98.H14"), 404, "not_found"))
        self.assertIsNone(self.field_of(self.d.get("/v1/tokens"), 401, "unauthorized"))
        self.assertIsNone(self.field_of(self.d.get("/v1/tokens", token=self.reg.token("reader")), 403, "forbidden"))


if __name__ == "__main__":
    sys.exit(ltd.main(__name__))
