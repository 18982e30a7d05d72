/* labels.c - the words of the views, Vietnamese first, English second.
 *
 * Vietnamese terms follow the usage of the departments' own documents
 * (thu hồi, cảnh báo, biện pháp, tiêu hủy …) and Circular 17/2021 for the
 * means of disposal.
 */
#include "labels.h"

#include <stdio.h>
#include <string.h>

static const struct label {
	const char *key, *vi, *en;
} labels[] = {
	/* kinds */
	{"kind.surveillance", "Kết quả giám sát", "Surveillance result"},
	{"kind.quarantine", "Thông báo kiểm dịch", "Quarantine notice"},
	{"kind.recall", "Thu hồi", "Recall"},
	{"kind.followup", "Thông tin bổ sung", "Follow-up"},
	{"kind.certification", "Chứng nhận", "Certification"},

	/* follow-up types */
	{"FOLLOW_UP_TYPE_ADDITIONAL_INFORMATION", "Thông tin bổ sung", "Additional information"},
	{"FOLLOW_UP_TYPE_MEASURES_TAKEN", "Biện pháp đã thực hiện", "Measures taken"},
	{"FOLLOW_UP_TYPE_DISTRIBUTION_UPDATE", "Cập nhật phân phối", "Distribution update"},
	{"FOLLOW_UP_TYPE_CORRECTION", "Đính chính", "Correction"},
	{"FOLLOW_UP_TYPE_RECLASSIFICATION", "Phân loại lại", "Reclassification"},
	{"FOLLOW_UP_TYPE_WITHDRAWAL", "Hủy bỏ thông báo", "Withdrawal"},
	{"FOLLOW_UP_TYPE_CLOSURE", "Kết thúc vụ việc", "Closure"},
	{"FOLLOW_UP_TYPE_ACKNOWLEDGEMENT", "Xác nhận đã nhận và xử lý", "Acknowledgement"},
	{"FOLLOW_UP_TYPE_REQUEST_FOR_INFORMATION", "Yêu cầu cung cấp thông tin", "Request for information"},
	{"FOLLOW_UP_TYPE_RESPONSE", "Trả lời yêu cầu", "Response"},

	/* RASFF classification */
	{"RASFF_CLASSIFICATION_ALERT", "Cảnh báo", "Alert"},
	{"RASFF_CLASSIFICATION_INFORMATION_FOR_FOLLOW_UP", "Thông tin cần theo dõi", "Information for follow-up"},
	{"RASFF_CLASSIFICATION_INFORMATION_FOR_ATTENTION", "Thông tin để lưu ý", "Information for attention"},
	{"RASFF_CLASSIFICATION_BORDER_REJECTION", "Từ chối tại cửa khẩu, chốt kiểm soát", "Border rejection"},
	{"RASFF_CLASSIFICATION_NEWS", "Tin tức", "News"},
	/* recall class */
	{"RECALL_CLASS_I", "Thu hồi loại I", "Class I recall"},
	{"RECALL_CLASS_II", "Thu hồi loại II", "Class II recall"},
	{"RECALL_CLASS_III", "Thu hồi loại III", "Class III recall"},
	/* risk decision */
	{"RISK_DECISION_SERIOUS", "Rủi ro nghiêm trọng", "Serious risk"},
	{"RISK_DECISION_POTENTIALLY_SERIOUS", "Rủi ro có thể nghiêm trọng", "Potentially serious risk"},
	{"RISK_DECISION_NOT_SERIOUS", "Rủi ro không nghiêm trọng", "Not serious"},
	{"RISK_DECISION_UNDECIDED", "Chưa đánh giá rủi ro", "Risk undecided"},
	/* verdict */
	{"VERDICT_COMPLIANT", "Đạt", "Compliant"},
	{"VERDICT_NON_COMPLIANT", "Không đạt", "Non-compliant"},
	{"VERDICT_INCONCLUSIVE", "Chưa kết luận được", "Inconclusive"},
	/* quarantine notice type */
	{"NOTICE_TYPE_CERTIFICATE_ISSUED", "Cấp giấy chứng nhận kiểm dịch", "Certificate issued"},
	{"NOTICE_TYPE_CERTIFICATE_REVOKED", "Thu hồi giấy chứng nhận kiểm dịch", "Certificate revoked"},
	{"NOTICE_TYPE_CERTIFICATE_REPLACED", "Thay thế giấy chứng nhận kiểm dịch", "Certificate replaced"},
	{"NOTICE_TYPE_CONSIGNMENT_REJECTED", "Từ chối lô hàng", "Consignment rejected"},
	{"NOTICE_TYPE_OUTBREAK_DECLARED", "Công bố dịch", "Outbreak declared"},
	{"NOTICE_TYPE_OUTBREAK_UPDATE", "Cập nhật tình hình dịch", "Outbreak update"},
	{"NOTICE_TYPE_OUTBREAK_ENDED", "Công bố hết dịch", "Outbreak ended"},
	/* measures */
	{"MEASURE_TYPE_RECALL_FROM_CONSUMERS", "Thu hồi từ người tiêu dùng", "Recall from consumers"},
	{"MEASURE_TYPE_WITHDRAWAL_FROM_MARKET", "Rút khỏi thị trường", "Withdrawal from the market"},
	{"MEASURE_TYPE_PUBLIC_WARNING", "Cảnh báo công khai", "Public warning"},
	{"MEASURE_TYPE_OFFICIAL_DETENTION", "Tạm giữ chính thức", "Official detention"},
	{"MEASURE_TYPE_SEIZURE", "Tịch thu", "Seizure"},
	{"MEASURE_TYPE_SUSPENSION_OF_OPERATOR", "Đình chỉ cơ sở", "Operator suspended"},
	{"MEASURE_TYPE_INCREASED_SAMPLING", "Tăng cường lấy mẫu", "Increased sampling"},
	{"MEASURE_TYPE_DISPOSAL", "Xử lý theo Thông tư 17/2021", "Disposal"},
	{"MEASURE_TYPE_INFORMING_RECIPIENTS", "Thông báo cho nơi nhận hàng", "Recipients informed"},
	{"MEASURE_TYPE_PENALTY", "Xử phạt vi phạm hành chính", "Administrative penalty"},

	/* case view */
	{"case.title", "Vụ việc", "Case"},
	{"case.cases", "vụ việc", "cases"},
	{"case.none", "Không có vụ việc nào", "No cases"},
	{"case.state.open", "đang xử lý", "open"},
	{"case.state.information", "để biết", "for information"},
	{"case.state.closed", "đã kết thúc", "closed"},
	{"case.state.withdrawn", "đã hủy bỏ", "withdrawn"},
	{"case.overdue", "QUÁ HẠN", "OVERDUE"},
	{"case.root_missing", "chưa nhận được thông báo gốc", "referenced message not yet held"},
	{"case.state", "Trạng thái", "Status"},
	{"case.assessment", "Đánh giá", "Assessment"},
	{"case.issuer", "Đơn vị thông báo", "Issued by"},
	{"case.detected", "Phát hiện", "Detected"},
	{"case.notified", "Thông báo", "Notified"},
	{"case.closed_at", "Kết thúc", "Closed"},
	{"case.messages", "Số thông báo", "Messages"},
	{"case.heading.parties", "Các tỉnh nhận thông báo", "Provinces addressed"},
	{"case.heading.requests", "Yêu cầu cung cấp thông tin", "Requests for information"},
	{"case.heading.timeline", "Diễn biến", "Timeline"},
	{"case.delivered", "đã nhận", "delivered"},
	{"case.not_delivered", "chưa nhận", "not delivered"},
	{"case.acknowledged", "đã xác nhận", "acknowledged"},
	{"case.not_acknowledged", "chưa xác nhận", "not acknowledged"},
	{"case.due", "hạn", "due"},
	{"case.measures", "biện pháp", "measures"},
	{"case.asked_by", "hỏi", "asked by"},
	{"case.answered", "đã trả lời", "answered"},
	{"case.unanswered", "chưa trả lời", "not answered"},
	{"case.withdrawn_msg", "đã hủy bỏ", "withdrawn"},
	{"case.no_parties", "không có", "none"},
	{"case.column.id", "Mã", "Id"},
	{"case.column.kind", "Loại", "Kind"},
	{"case.column.state", "Trạng thái", "Status"},
	{"case.column.opened", "Ngày thông báo", "Notified"},
	{"case.column.ack", "Xác nhận", "Acknowledged"},
	{"case.column.subject", "Nội dung", "Subject"},
	{"case.references", "trả lời cho", "in reply to"},

	/* certification notices */
	{"CERTIFICATION_NOTICE_TYPE_ISSUED", "Cấp chứng nhận", "Certificate issued"},
	{"CERTIFICATION_NOTICE_TYPE_RENEWED", "Cấp lại chứng nhận", "Certificate renewed"},
	{"CERTIFICATION_NOTICE_TYPE_SUSPENDED", "Đình chỉ chứng nhận", "Certificate suspended"},
	{"CERTIFICATION_NOTICE_TYPE_WITHDRAWN", "Thu hồi chứng nhận", "Certificate withdrawn"},
	{"CERTIFICATION_NOTICE_TYPE_EXPIRED", "Chứng nhận hết hiệu lực", "Certificate expired"},
	{"CERTIFICATION_SCHEME_VIETGAP", "VietGAP", "VietGAP"},
	{"CERTIFICATION_SCHEME_GLOBALGAP", "GlobalG.A.P.", "GlobalG.A.P."},
	{"CERTIFICATION_SCHEME_ORGANIC", "Hữu cơ", "Organic"},
	{"CERTIFICATION_SCHEME_HACCP", "HACCP", "HACCP"},
	{"CERTIFICATION_SCHEME_ISO_22000", "ISO 22000", "ISO 22000"},
	{"CERTIFICATION_SCHEME_BRC", "BRCGS", "BRCGS"},
	{"CERTIFICATION_SCHEME_HALAL", "Halal", "Halal"},
	{"CERTIFICATION_SCHEME_OCOP", "OCOP", "OCOP"},
	{"CERTIFICATION_SCHEME_ASC", "ASC", "ASC"},
	{"CERTIFICATION_SCHEME_BAP", "BAP", "BAP"},
	{"CERTIFICATION_SCHEME_FOOD_SAFETY_ELIGIBILITY", "Cơ sở đủ điều kiện ATTP", "Food safety eligibility"},
	{"CHAIN_ROLE_FARM", "Cơ sở sản xuất ban đầu", "Farm"},
	{"CHAIN_ROLE_SLAUGHTERHOUSE", "Cơ sở giết mổ", "Slaughterhouse"},
	{"CHAIN_ROLE_PACKING_HOUSE", "Cơ sở sơ chế", "Packing house"},
	{"CHAIN_ROLE_PROCESSOR", "Cơ sở chế biến", "Processor"},
	{"CHAIN_ROLE_DISTRIBUTOR", "Cơ sở phân phối", "Distributor"},
	{"CHAIN_ROLE_RETAILER", "Cơ sở bán lẻ", "Retailer"},
	{"CHAIN_ROLE_EXPORTER", "Cơ sở xuất khẩu", "Exporter"},
	/* sampling stages, as a trace shows where a sample was taken */
	{"SAMPLING_STAGE_FARM", "cơ sở trồng trọt", "farm"},
	{"SAMPLING_STAGE_AQUACULTURE_FARM", "cơ sở nuôi trồng thủy sản", "aquaculture farm"},
	{"SAMPLING_STAGE_LIVESTOCK_FARM", "cơ sở chăn nuôi", "livestock farm"},
	{"SAMPLING_STAGE_SLAUGHTERHOUSE", "cơ sở giết mổ", "slaughterhouse"},
	{"SAMPLING_STAGE_PACKING_HOUSE", "cơ sở sơ chế", "packing house"},
	{"SAMPLING_STAGE_PROCESSING_PLANT", "cơ sở chế biến", "processing plant"},
	{"SAMPLING_STAGE_STORAGE", "kho bảo quản", "storage"},
	{"SAMPLING_STAGE_TRANSPORT", "vận chuyển", "transport"},
	{"SAMPLING_STAGE_WHOLESALE_MARKET", "chợ đầu mối", "wholesale market"},
	{"SAMPLING_STAGE_RETAIL_MARKET", "chợ bán lẻ", "retail market"},
	{"SAMPLING_STAGE_SUPERMARKET", "siêu thị", "supermarket"},
	{"SAMPLING_STAGE_CATERING", "bếp ăn, nhà hàng", "catering"},

	/* trace and chains */
	{"cert.state.1", "CÒN HIỆU LỰC", "IN FORCE"},
	{"cert.state.2", "chưa có hiệu lực", "not yet valid"},
	{"cert.state.3", "ĐANG BỊ ĐÌNH CHỈ", "SUSPENDED"},
	{"cert.state.4", "ĐÃ BỊ THU HỒI", "WITHDRAWN"},
	{"cert.state.5", "HẾT HIỆU LỰC", "EXPIRED"},
	{"trace.title", "Truy xuất", "Trace"},
	{"trace.at", "tại ngày", "as of"},
	{"trace.product", "Sản phẩm", "Product"},
	{"trace.lot", "lô", "lot"},
	{"trace.establishment", "Cơ sở", "Establishment"},
	{"trace.nothing", "Không tìm thấy thông tin nào về mã này trong nhật ký của nút.",
	 "Nothing in this node's log names it."},
	{"trace.summary", "Tóm tắt", "In short"},
	{"trace.certs_in_force", "chứng nhận còn hiệu lực", "certificates in force"},
	{"trace.no_cert_in_force", "KHÔNG có chứng nhận còn hiệu lực", "NO certificate in force"},
	{"trace.non_compliant", "kết quả không đạt", "non-compliant results"},
	{"trace.lot_recalled", "ĐANG BỊ THU HỒI", "RECALLED"},
	{"trace.not_recalled", "không có thông báo thu hồi", "no recall"},
	{"trace.heading.establishments", "Cơ sở sản xuất và được chứng nhận", "Producers and certified establishments"},
	{"trace.heading.certs", "Chứng nhận", "Certifications"},
	{"trace.heading.chains", "Chuỗi cung ứng an toàn", "Safe supply chains"},
	{"trace.chain", "Chuỗi", "Chain"},
	{"trace.heading.results", "Kết quả giám sát", "Surveillance results"},
	{"trace.heading.recalls", "Thu hồi", "Recalls"},
	{"trace.heading.notices", "Thông báo kiểm dịch", "Quarantine notices"},
	{"trace.heading.cases", "Vụ việc đang xử lý", "Open cases"},
	{"trace.none", "không có", "none"},
	{"trace.valid", "hiệu lực", "valid"},
	{"trace.by", "cấp bởi", "by"},
	{"trace.announced", "thông báo", "announced"},
	{"trace.since", "từ", "since"},
	{"trace.this_lot", "lô này", "this lot"},
	{"trace.whole_product", "mọi lô", "every lot"},
	{"trace.other_lots", "lô khác", "other lots"},
	{"trace.failing", "không đạt", "failing"},
	{"trace.sampled_at", "lấy mẫu tại", "sampled at"},
	{"trace.role.holder", "được chứng nhận", "holder"},
	{"trace.role.operator", "nơi lấy mẫu", "sampled"},
	{"trace.role.producer", "cơ sở sản xuất", "producer"},
	{"trace.role.responsible_operator", "chịu trách nhiệm thu hồi", "responsible for the recall"},
	{"trace.role.operators", "nơi nhận hàng", "supplied"},
	{"trace.role.executed_by", "thực hiện biện pháp", "carried out the measure"},
	{"trace.role.consignor", "bên gửi", "consignor"},
	{"trace.role.consignee", "bên nhận", "consignee"},
	{"trace.role.location", "địa điểm", "place"},
	{"trace.role.departure", "nơi đi", "departure"},
	{"trace.role.destination", "nơi đến", "destination"},
	{"trace.role.checkpoint", "chốt kiểm soát", "checkpoint"},
	{"trace.truncated", "(chỉ hiển thị các thông báo mới nhất)", "(the newest messages only)"},
	{"chain.members", "thành viên", "members"},
	{"chain.safe", "đạt (mọi thành viên còn hiệu lực)", "safe (every member in force)"},
	{"chain.not_safe", "CHƯA ĐẠT", "NOT SAFE"},
	{"chain.international", "tiêu chuẩn quốc tế", "international standard"},
	{"chain.provinces", "tỉnh, thành cấp chứng nhận", "certifying provinces"},
	{"chains.none", "Chưa có chuỗi cung ứng nào", "No safe chains"},
	{"chains.targets", "Chỉ tiêu chương trình", "Programme targets"},
	{"chains.target_chains", "ít nhất 3 chuỗi cung ứng an toàn", "at least 3 safe chains"},
	{"chains.target_international", "ít nhất 1 chuỗi đạt tiêu chuẩn quốc tế", "at least 1 to an international standard"},
	{"chains.met", "ĐẠT", "MET"},
	{"chains.not_met", "CHƯA ĐẠT", "NOT MET"},
};
#define N_LABELS (sizeof labels / sizeof labels[0])

int fsb_lang_parse(const char *s, enum fsb_lang *out)
{
	if (strcmp(s, "vi") == 0)
		*out = FSB_LANG_VI;
	else if (strcmp(s, "en") == 0)
		*out = FSB_LANG_EN;
	else
		return -1;
	return 0;
}

static const char *lookup(enum fsb_lang lang, const char *key)
{
	for (size_t i = 0; i < N_LABELS; i++)
		if (strcmp(labels[i].key, key) == 0)
			return lang == FSB_LANG_EN ? labels[i].en : labels[i].vi;
	return NULL;
}

const char *fsb_label(enum fsb_lang lang, const char *key)
{
	if (!key)
		return "";
	const char *l = lookup(lang, key);
	return l ? l : key;
}

const char *fsb_label2(enum fsb_lang lang, const char *prefix, const char *suffix)
{
	char key[96];
	snprintf(key, sizeof key, "%s.%s", prefix, suffix ? suffix : "");
	const char *l = lookup(lang, key);
	return l ? l : suffix ? suffix : "";
}
