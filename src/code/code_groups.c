/* The level-1 group letters (formats.md §1.3). W is listed so that system
 * identifiers can be named, but it is not a legal agency group. */
#include "lienthong/code.h"

static const struct lt_code_group groups[] = {
	{'A', "Cơ quan của Đảng", "Party organs", true},
	{'B', "Văn phòng Chủ tịch nước", "Office of the President", true},
	{'C', "Cơ quan của Quốc hội", "National Assembly bodies", true},
	{'D', "Tòa án nhân dân tối cao", "Supreme People's Court", true},
	{'E', "Viện kiểm sát nhân dân tối cao", "Supreme People's Procuracy", true},
	{'F', "Kiểm toán nhà nước", "State Audit", true},
	{'G', "Bộ, cơ quan ngang bộ, cơ quan thuộc Chính phủ", "Ministries and Government agencies", true},
	{'H', "Ủy ban nhân dân tỉnh, thành phố trực thuộc trung ương", "Provincial People's Committees", true},
	{'I', "Tổ chức chính trị - xã hội trung ương", "Central socio-political organisations", true},
	{'J', "Tổ chức xã hội, xã hội - nghề nghiệp trung ương", "Central social organisations", true},
	{'K', "Hội đồng nhân dân tỉnh, thành phố trực thuộc trung ương", "Provincial People's Councils", true},
	{'W', "Mã hệ thống (không phải cơ quan)", "System identifiers (not an agency group)", false},
};

const struct lt_code_group *lt_code_group(char letter)
{
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
		if (groups[i].letter == letter)
			return &groups[i];
	return NULL;
}

const struct lt_code_group *lt_code_groups(size_t *n)
{
	*n = sizeof groups / sizeof groups[0];
	return groups;
}
