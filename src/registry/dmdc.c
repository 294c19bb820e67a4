/* The shared catalogue's names of a unit's fields (formats.md §3.6): one
 * table for the /dmdc routes, the records they add and the dmdc export, so
 * the three never disagree on a column. */
#include <stdio.h>
#include <string.h>

#include "registry_impl.h"

const struct lt_dmdc_field lt_dmdc_fields[LT_DMDC_NFIELDS] = {
	{"MaDinhDanhCha", "Mã định danh đơn vị cấp trên", "String"},
	{"TenDonVi", "Tên đơn vị", "String"},
	{"DiaChi", "Địa chỉ", "String"},
	{"Email", "Thư điện tử", "String"},
	{"SoDienThoai", "Số điện thoại", "String"},
	{"Fax", "Số fax", "String"},
	{"Website", "Trang thông tin điện tử", "String"},
	{"QdBanHanhQdSuaDoi", "Quyết định ban hành, sửa đổi", "String"},
	{"NgayBanHanhQd", "Ngày ban hành quyết định", "DateTime"},
	{"CoQuanBanHanhQd", "Cơ quan ban hành quyết định", "String"},
};

void lt_dmdc_date(const char *iso, char out[LT_DATE_BUFSZ])
{
	if (strlen(iso) == 10)
		snprintf(out, LT_DATE_BUFSZ, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
	else
		out[0] = '\0';
}

const char *lt_dmdc_value(const struct lt_unit *u, size_t i, char date[LT_DATE_BUFSZ])
{
	switch (i) {
	case 0:
		return u->parent;
	case 1:
		return u->name;
	case 2:
		return u->contact.address;
	case 3:
		return u->contact.email;
	case 4:
		return u->contact.phone;
	case 5:
		return u->contact.fax;
	case 6:
		return u->contact.website;
	case 7:
		return u->decision.number;
	case 8:
		lt_dmdc_date(u->decision.date, date);
		return date;
	case 9:
		return u->decision.issuer;
	default:
		return "";
	}
}
