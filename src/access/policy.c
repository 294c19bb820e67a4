/* Who may do what (design.md §7.2): the one place the roles are decided, so
 * the HTTP handlers and the CLI ask and never judge for themselves. */
#include <string.h>

#include "access_impl.h"

int lt_access_read(const struct lt_principal *p, bool public_read, struct lt_err *err)
{
	if (p->role != LT_ROLE_ANONYMOUS || public_read)
		return LT_OK;
	return lt_err_set(err, LT_EAUTH,
			  "this catalogue is not public: send 'Authorization: Bearer <token>' with a token from "
			  "'lienthong token create'");
}

static int need_token(struct lt_err *err)
{
	return lt_err_set(err, LT_EAUTH,
			  "changes need a credential: send 'Authorization: Bearer <token>' with an admin or "
			  "manager token");
}

int lt_access_admin(const struct lt_principal *p, struct lt_err *err)
{
	if (p->role == LT_ROLE_ADMIN)
		return LT_OK;
	if (p->role == LT_ROLE_ANONYMOUS)
		return need_token(err);
	return lt_err_set(err, LT_EFORBIDDEN, "only an admin may do this; this token's role is %s",
			  lt_role_name(p->role));
}

int lt_access_write(const struct lt_principal *p, const char *code, struct lt_err *err)
{
	switch (p->role) {
	case LT_ROLE_ADMIN:
		return LT_OK;
	case LT_ROLE_ANONYMOUS:
		return need_token(err);
	case LT_ROLE_MANAGER:
		break;
	default:
		return lt_err_set(err, LT_EFORBIDDEN, "a %s token may read the catalogue but not change it",
				  lt_role_name(p->role));
	}
	struct lt_code scope, c;
	if (lt_code_parse(&scope, p->scope, LT_CODE_LENIENT, NULL) != LT_OK)
		return lt_err_set(err, LT_EFORBIDDEN, "this manager token has no valid scope");
	if (!code || lt_code_parse(&c, code, LT_CODE_LENIENT | LT_CODE_SYSTEM, NULL) != LT_OK)
		return lt_err_set(err, LT_EFORBIDDEN, "a manager of %s may change only units inside %s", p->scope,
				  p->scope);
	if (lt_code_equal(&scope, &c) || lt_code_is_ancestor(&scope, &c))
		return LT_OK;
	return lt_err_set(err, LT_EFORBIDDEN, "%s lies outside this manager's subtree %s", code, p->scope);
}

int lt_access_reorganise(const struct lt_principal *p, const char *code, struct lt_err *err)
{
	int rc = lt_access_write(p, code, err);
	if (rc || p->role != LT_ROLE_MANAGER)
		return rc;
	struct lt_code scope, c;
	if (lt_code_parse(&scope, p->scope, LT_CODE_LENIENT, NULL) == LT_OK &&
	    lt_code_parse(&c, code, LT_CODE_LENIENT | LT_CODE_SYSTEM, NULL) == LT_OK && lt_code_equal(&scope, &c))
		return lt_err_set(err, LT_EFORBIDDEN,
				  "%s is this manager's own root: it may update its contact data and issue units under "
				  "it, but a rename or reorganisation of it is for an admin",
				  code);
	return LT_OK;
}

int lt_access_publish(const struct lt_principal *p, const struct lt_codelist *subtrees, const char *code,
		      bool reorganise, struct lt_err *err)
{
	if (p->role == LT_ROLE_SYSTEM) {
		/* A hub below, as the connected system bound to its subtree: the
		 * root itself belongs to the level above, as for a manager. */
		struct lt_code root, c;
		for (size_t i = 0; subtrees && i < subtrees->n; i++)
			if (lt_code_parse(&root, subtrees->codes[i], LT_CODE_LENIENT, NULL) == LT_OK &&
			    lt_code_parse(&c, code, LT_CODE_LENIENT, NULL) == LT_OK &&
			    (lt_code_is_ancestor(&root, &c) || (!reorganise && lt_code_equal(&root, &c))))
				return LT_OK;
		return lt_err_set(err, LT_EFORBIDDEN,
				  "publishing %s: this system is bound to no subtree that holds it (a hub below "
				  "publishes as the system bound to its subtree, or with a manager token of it)",
				  code);
	}
	if (p->role == LT_ROLE_READER || p->role == LT_ROLE_REQUESTER)
		return lt_err_set(err, LT_EFORBIDDEN,
				  "publishing %s: a %s token cannot publish into this catalogue; a hub below publishes "
				  "as the system bound to its subtree, or with a manager token of it",
				  code, lt_role_name(p->role));
	int rc = reorganise ? lt_access_reorganise(p, code, err) : lt_access_write(p, code, err);
	return rc ? lt_err_prefix(err, "publishing %s: ", code) : LT_OK;
}

/* Is code the scope's root or below it? */
static bool in_subtree(const char *scope, const char *code)
{
	struct lt_code root, c;
	return lt_code_parse(&root, scope, LT_CODE_LENIENT, NULL) == LT_OK &&
	       lt_code_parse(&c, code, LT_CODE_LENIENT | LT_CODE_SYSTEM, NULL) == LT_OK &&
	       (lt_code_equal(&root, &c) || lt_code_is_ancestor(&root, &c));
}

int lt_access_document(const struct lt_principal *p, bool party, const struct lt_codelist *codes, bool body,
		       struct lt_err *err)
{
	switch (p->role) {
	case LT_ROLE_ADMIN:
		return LT_OK;
	case LT_ROLE_ANONYMOUS:
		return lt_err_set(err, LT_EAUTH, "documents are read with a bearer token");
	case LT_ROLE_SYSTEM:
		if (party)
			return LT_OK;
		return lt_err_set(err, LT_EFORBIDDEN, "it was neither sent by nor delivered to this system");
	case LT_ROLE_MANAGER:
		if (body)
			return lt_err_set(err, LT_EFORBIDDEN,
					  "a manager reads the trace of its units' documents, not their content: only "
					  "the sending and receiving systems and an admin read the package");
		for (size_t i = 0; codes && i < codes->n; i++)
			if (in_subtree(p->scope, codes->codes[i]))
				return LT_OK;
		return lt_err_set(err, LT_EFORBIDDEN, "no unit inside this manager's subtree %s sent or received it",
				  p->scope);
	default:
		return lt_err_set(err, LT_EFORBIDDEN, "a %s token reads no exchanged document", lt_role_name(p->role));
	}
}

int lt_access_system(const struct lt_principal *p, const struct lt_codelist *codes, struct lt_err *err)
{
	if (p->role == LT_ROLE_ADMIN)
		return LT_OK;
	if (p->role == LT_ROLE_ANONYMOUS)
		return need_token(err);
	if (p->role != LT_ROLE_MANAGER)
		return lt_err_set(err, LT_EFORBIDDEN,
				  "a connected system is managed by an admin, or by a manager whose subtree holds all "
				  "its codes; this token's role is %s",
				  lt_role_name(p->role));
	for (size_t i = 0; i < codes->n; i++)
		if (lt_access_write(p, codes->codes[i], NULL) != LT_OK)
			return lt_err_set(err, LT_EFORBIDDEN,
					  "this system also speaks for %s, outside this manager's subtree %s: only an "
					  "admin may manage it",
					  codes->codes[i], p->scope);
	return codes->n ? LT_OK
			: lt_err_set(err, LT_EFORBIDDEN, "this system speaks for no code: only an admin may manage it");
}

/* Whether code lies strictly below root, both canonical codes. */
static bool strictly_below(const char *root, const char *code)
{
	struct lt_code r, c;
	return lt_code_parse(&r, root, LT_CODE_LENIENT | LT_CODE_SYSTEM, NULL) == LT_OK &&
	       lt_code_parse(&c, code, LT_CODE_LENIENT | LT_CODE_SYSTEM, NULL) == LT_OK && lt_code_is_ancestor(&r, &c);
}

int lt_access_bind(const struct lt_principal *p, const struct lt_system *sys, const char *code, bool agency_ops,
		   struct lt_err *err)
{
	switch (p->role) {
	case LT_ROLE_ADMIN:
		return LT_OK;
	case LT_ROLE_ANONYMOUS:
		return need_token(err);
	case LT_ROLE_MANAGER:
		if (lt_access_write(p, code, NULL) == LT_OK)
			return LT_OK;
		return lt_err_set(
			err, LT_EFORBIDDEN,
			"%s lies outside this manager's subtree %s: only its own manager or an admin binds it "
			"to a system",
			code, p->scope);
	case LT_ROLE_SYSTEM:
		break;
	default:
		return lt_err_set(
			err, LT_EFORBIDDEN,
			"binding a code to a system is for an admin or the manager whose subtree holds it; this "
			"token's role is %s",
			lt_role_name(p->role));
	}
	if (!p->via_vxp)
		return lt_err_set(
			err, LT_EFORBIDDEN,
			"a system does not bind codes over /v1: an admin or the manager whose subtree holds the "
			"code does ('lienthong system bind')");
	if (!agency_ops)
		return lt_err_set(err, LT_EFORBIDDEN,
				  "registerAgency and deleteAgency are off on this hub (vxp_agency_ops = off): ask the "
				  "hub's admin or the unit's manager to bind %s ('lienthong system bind')",
				  code);
	if (p->system_id != sys->id)
		return lt_err_set(err, LT_EFORBIDDEN, "a system binds codes only to itself");
	if (!strictly_below(sys->primary_code, code))
		return lt_err_set(err, LT_EFORBIDDEN,
				  "%s does not lie strictly below this system's own code %s: over VXP a system binds "
				  "only the units under it",
				  code, sys->primary_code);
	return LT_OK;
}

int lt_access_identified(const struct lt_principal *p, const char *what, struct lt_err *err)
{
	if (p->role != LT_ROLE_ANONYMOUS)
		return LT_OK;
	return what ? lt_err_set(err, LT_EAUTH, "%s need a bearer token", what)
		    : lt_err_set(err, LT_EAUTH, "no bearer token was sent");
}

int lt_access_system_register(const struct lt_principal *p, struct lt_err *err)
{
	if (p->role == LT_ROLE_ADMIN || p->role == LT_ROLE_MANAGER)
		return LT_OK;
	return lt_err_set(err, p->role == LT_ROLE_ANONYMOUS ? LT_EAUTH : LT_EFORBIDDEN,
			  "registering a system needs an admin token, or a manager token for codes in its subtree");
}

int lt_access_subtree(const struct lt_principal *p, const char *root, struct lt_err *err)
{
	if (p->role != LT_ROLE_ADMIN && p->role != LT_ROLE_MANAGER)
		return lt_err_set(err, p->role == LT_ROLE_ANONYMOUS ? LT_EAUTH : LT_EFORBIDDEN,
				  "binding a subtree to a system needs an admin token, or a manager token whose scope "
				  "holds the subtree");
	int rc = lt_access_write(p, root, err);
	if (rc)
		lt_err_prefix(err, "subtree %s: ", root ? root : "");
	return rc;
}

int lt_access_relay(const struct lt_principal *p, struct lt_err *err)
{
	if (p->role == LT_ROLE_ADMIN)
		return LT_OK;
	return lt_err_set(err, p->role == LT_ROLE_ANONYMOUS ? LT_EAUTH : LT_EFORBIDDEN,
			  "only the hub's relay worker takes packages in from the upstream hub");
}

int lt_access_systems_list(const struct lt_principal *p, struct lt_err *err)
{
	if (p->role == LT_ROLE_ADMIN || p->role == LT_ROLE_MANAGER || p->role == LT_ROLE_SYSTEM)
		return LT_OK;
	return lt_err_set(err, p->role == LT_ROLE_ANONYMOUS ? LT_EAUTH : LT_EFORBIDDEN,
			  "connected systems are listed to admins, managers and the systems themselves");
}

bool lt_access_system_visible(const struct lt_principal *p, const struct lt_system *sys,
			      const struct lt_codelist *codes)
{
	if (p->role == LT_ROLE_ADMIN || (p->role == LT_ROLE_SYSTEM && p->system_id == sys->id))
		return true;
	for (size_t i = 0; p->role == LT_ROLE_MANAGER && i < codes->n; i++)
		if (lt_access_write(p, codes->codes[i], NULL) == LT_OK)
			return true;
	return false;
}

int lt_access_as_system(const struct lt_principal *p, const char *refusal, struct lt_err *err)
{
	if (p->role == LT_ROLE_SYSTEM && p->system_id > 0)
		return LT_OK;
	return lt_err_set(err, p->role == LT_ROLE_ANONYMOUS ? LT_EAUTH : LT_EFORBIDDEN, "%s", refusal);
}

int lt_access_import(const struct lt_principal *p, struct lt_err *err)
{
	return p->role == LT_ROLE_MANAGER ? LT_OK : lt_access_write(p, NULL, err);
}

int lt_access_plan(const struct lt_principal *p, struct lt_err *err)
{
	if (p->role == LT_ROLE_REQUESTER)
		return lt_err_set(
			err, LT_EFORBIDDEN,
			"a requester changes nothing directly: file the plan as a change request of kind plan");
	return p->role == LT_ROLE_MANAGER ? LT_OK : lt_access_write(p, NULL, err);
}

int lt_access_bind_to(const struct lt_principal *p, const struct lt_system *sys, const struct lt_codelist *codes,
		      const char *code, bool agency_ops, struct lt_err *err)
{
	int rc = lt_access_bind(p, sys, code, agency_ops, err);
	if (rc || p->role != LT_ROLE_MANAGER)
		return rc;
	/* A system of its own subtree, or one of a unit above the code: the
	 * manager who manages that system manages the code too, so nobody
	 * loses a system to another subtree's act, and no system is made to
	 * speak for a unit that does not lie below it without its manager. */
	if (lt_access_system(p, codes, NULL) == LT_OK || strictly_below(sys->primary_code, code))
		return LT_OK;
	return lt_err_set(err, LT_EFORBIDDEN,
			  "system %lld speaks for %s, outside this manager's subtree %s, and %s does not lie below "
			  "it: a manager binds its units to a system of its own subtree or of a unit above them; "
			  "only an admin binds %s to this one",
			  (long long)sys->id, sys->primary_code, p->scope, code, code);
}

int lt_access_request_file(const struct lt_principal *p, const char *code, const struct lt_codelist *system_codes,
			   struct lt_err *err)
{
	switch (p->role) {
	case LT_ROLE_ADMIN:
		return LT_OK;
	case LT_ROLE_ANONYMOUS:
		return lt_err_set(err, LT_EAUTH,
				  "requests are filed with a bearer token (a requester's, a system's or a "
				  "manager's)");
	case LT_ROLE_MANAGER:
	case LT_ROLE_REQUESTER:
		if (code && in_subtree(p->scope, code))
			return LT_OK;
		return lt_err_set(err, LT_EFORBIDDEN,
				  "%s lies outside this token's scope %s: a %s files requests only "
				  "for its unit and the units below it",
				  code ? code : "(none)", p->scope, lt_role_name(p->role));
	case LT_ROLE_SYSTEM:
		if (code && system_codes && lt_codelist_has(system_codes, code))
			return LT_OK;
		return lt_err_set(err, LT_EFORBIDDEN,
				  "a connected system files requests only for the codes it is bound to, "
				  "and %s is not one of them",
				  code ? code : "(none)");
	default:
		return lt_err_set(err, LT_EFORBIDDEN, "a %s token may read the catalogue but not file requests",
				  lt_role_name(p->role));
	}
}

int lt_access_request_read(const struct lt_principal *p, const char *code, const struct lt_codelist *system_codes,
			   int64_t filer_token, struct lt_err *err)
{
	if (p->role != LT_ROLE_ANONYMOUS && p->token_id > 0 && p->token_id == filer_token)
		return LT_OK;
	if (p->role == LT_ROLE_READER)
		return lt_err_set(err, LT_EFORBIDDEN, "a reader token does not see change requests");
	return lt_access_request_file(p, code, system_codes, err);
}

int lt_access_request_decide(const struct lt_principal *p, const char *code, bool reorganise, int64_t filer_token,
			     struct lt_err *err)
{
	switch (p->role) {
	case LT_ROLE_ADMIN:
	case LT_ROLE_MANAGER:
		break;
	case LT_ROLE_ANONYMOUS:
		return lt_err_set(err, LT_EAUTH, "deciding a request needs a manager's or an admin's token");
	default:
		return lt_err_set(err, LT_EFORBIDDEN,
				  "a %s token files and follows requests; the manager of the unit decides them",
				  lt_role_name(p->role));
	}
	if (p->token_id > 0 && p->token_id == filer_token)
		return lt_err_set(err, LT_EFORBIDDEN, "this token filed the request: another manager decides it");
	return reorganise ? lt_access_reorganise(p, code, err) : lt_access_write(p, code, err);
}

int lt_access_org_write(const struct lt_principal *p, struct lt_err *err)
{
	if (p->role == LT_ROLE_ADMIN || p->role == LT_ROLE_MANAGER)
		return LT_OK;
	if (p->role == LT_ROLE_ANONYMOUS)
		return need_token(err);
	return lt_err_set(err, LT_EFORBIDDEN, "organisations are added by an admin or a manager, not a %s token",
			  lt_role_name(p->role));
}

int lt_access_org_connect(const struct lt_principal *p, const char *code, struct lt_err *err)
{
	if (p->role == LT_ROLE_ADMIN)
		return LT_OK;
	if (p->role == LT_ROLE_ANONYMOUS)
		return need_token(err);
	return lt_err_set(err, LT_EFORBIDDEN,
			  "%s is an organisation outside the state tree, in no manager's subtree: only an admin "
			  "connects a system to it (a manager may add the organisation to the registry)",
			  code);
}

int lt_access_token(const struct lt_principal *p, enum lt_role role, const char *scope, struct lt_err *err)
{
	switch (p->role) {
	case LT_ROLE_ADMIN:
		return LT_OK;
	case LT_ROLE_ANONYMOUS:
		return need_token(err);
	case LT_ROLE_MANAGER:
		break;
	default:
		return lt_err_set(err, LT_EFORBIDDEN, "tokens are managed by an admin, not a %s token",
				  lt_role_name(p->role));
	}
	/* A requester token only files requests for its unit, which the
	 * manager decides anyway; every other role reaches beyond one subtree
	 * (a reader reads the whole catalogue, a system sends documents) or
	 * grants the manager's own powers, so it stays with an admin. */
	if (role != LT_ROLE_REQUESTER)
		return lt_err_set(err, LT_EFORBIDDEN,
				  "a manager creates and revokes only requester tokens for units in its subtree; a %s "
				  "token is for an admin",
				  lt_role_name(role));
	if (!scope || !in_subtree(p->scope, scope))
		return lt_err_set(err, LT_EFORBIDDEN, "%s lies outside this manager's subtree %s",
				  scope && *scope ? scope : "(no scope)", p->scope);
	return LT_OK;
}

int lt_access_operations(const struct lt_principal *p, const struct lt_codelist *codes, struct lt_err *err)
{
	switch (p->role) {
	case LT_ROLE_ADMIN:
		return LT_OK;
	case LT_ROLE_ANONYMOUS:
		return need_token(err);
	case LT_ROLE_MANAGER:
		break;
	default:
		return lt_err_set(err, LT_EFORBIDDEN,
				  "the operators' view of deliveries is for an admin, or a manager for its units; this "
				  "token's role is %s",
				  lt_role_name(p->role));
	}
	if (!codes)
		return LT_OK;
	for (size_t i = 0; i < codes->n; i++)
		if (codes->codes[i][0] && in_subtree(p->scope, codes->codes[i]))
			return LT_OK;
	return lt_err_set(err, LT_EFORBIDDEN, "no unit inside this manager's subtree %s sent or received it", p->scope);
}

/* ---- transition campaigns (campaigns.h) ---- */

static int campaign_role(const struct lt_principal *p, const char *what, struct lt_err *err)
{
	switch (p->role) {
	case LT_ROLE_ADMIN:
	case LT_ROLE_MANAGER:
		return LT_OK;
	case LT_ROLE_ANONYMOUS:
		return lt_err_set(
			err, LT_EAUTH,
			"%s needs a credential: send 'Authorization: Bearer <token>' with an admin or manager "
			"token",
			what);
	default:
		return lt_err_set(err, LT_EFORBIDDEN,
				  "%s is for an admin, or a manager for its units; this token's role is %s", what,
				  lt_role_name(p->role));
	}
}

int lt_access_campaign(const struct lt_principal *p, const char *under, struct lt_err *err)
{
	int rc = campaign_role(p, "a transition campaign", err);
	if (rc || p->role == LT_ROLE_ADMIN)
		return rc;
	if (!under || !under[0])
		return lt_err_set(err, LT_EFORBIDDEN,
				  "a campaign over the whole registry is for an admin; a manager of %s opens one with "
				  "\"under\" inside %s",
				  p->scope, p->scope);
	if (!in_subtree(p->scope, under))
		return lt_err_set(err, LT_EFORBIDDEN, "%s lies outside this manager's subtree %s", under, p->scope);
	return LT_OK;
}

int lt_access_stale(const struct lt_principal *p, struct lt_err *err)
{
	return campaign_role(p, "the uses of closed codes", err);
}

int lt_access_hub_send(const struct lt_principal *p, struct lt_err *err)
{
	return campaign_role(p, "sending as the hub", err);
}
