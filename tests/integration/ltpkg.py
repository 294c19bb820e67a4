"""Builds edXML packages (formats.md §2.2 prefixes) for the exchange tests:
edoc packages with attachments and status packages. Standard library only."""
import base64
import hashlib
import uuid
from xml.sax.saxutils import escape

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"


def _organ(tag, code, name="Đơn vị"):
    return (f"<edXML:{tag}><edXML:OrganId>{code}</edXML:OrganId><edXML:OrganizationInCharge/>"
            f"<edXML:OrganName>{escape(name)}</edXML:OrganName><edXML:OrganAdd/><edXML:Email/>"
            f"<edXML:Telephone/><edXML:Fax/><edXML:Website/></edXML:{tag}>")


def edoc(from_code, to_codes, number="1", notation="UBND-VP", date="2026/11/20", subject="Công văn thử nghiệm",
         attachments=(), doctype=0, refers_to=None, receivers=(), replacements=()):
    """attachments: list of (name, bytes). receivers: [(code, 0|1)]; replacements: [(docid, [codes])]."""
    docid = f"{from_code},{date},{number}/{notation}"
    to = "".join(_organ("To", c) for c in to_codes)
    biz = f"<edXML:Bussiness><edXML:BussinessDocType>{doctype}</edXML:BussinessDocType>"
    if refers_to:
        biz = f"<edXML:Bussiness><edXML:DocumentId>{refers_to}</edXML:DocumentId>" \
              f"<edXML:BussinessDocType>{doctype}</edXML:BussinessDocType>"
    biz += "<edXML:BussinessDocReason>Văn bản điện tử</edXML:BussinessDocReason><edXML:Paper>0</edXML:Paper>"
    if receivers:
        biz += "<edXML:BussinessDocumentInfo><edXML:DocumentInfo>0</edXML:DocumentInfo>" \
               "<edXML:DocumentReceiver>1</edXML:DocumentReceiver><edXML:ReceiverList>"
        biz += "".join(f"<edXML:Receiver><edXML:OrganId>{c}</edXML:OrganId><edXML:ReceiverType>{t}"
                       f"</edXML:ReceiverType></edXML:Receiver>" for c, t in receivers)
        biz += "</edXML:ReceiverList></edXML:BussinessDocumentInfo>"
    if replacements:
        biz += "<edXML:ReplacementInfoList>"
        for d, codes in replacements:
            biz += f"<edXML:ReplacementInfo><edXML:DocumentId>{d}</edXML:DocumentId><edXML:OrganIdList>"
            biz += "".join(f"<edXML:OrganId>{c}</edXML:OrganId>" for c in codes)
            biz += "</edXML:OrganIdList></edXML:ReplacementInfo>"
        biz += "</edXML:ReplacementInfoList>"
    biz += "</edXML:Bussiness>"
    refs, atts = [], []
    for name, data in attachments:
        cid = str(uuid.uuid4())
        refs.append(f'<edXML:Reference><edXML:ContentId>cid:{cid}</edXML:ContentId>'
                    f'<edXML:ContentType>application/pdf</edXML:ContentType>'
                    f'<edXML:Description>{escape(name)}</edXML:Description>'
                    f'<edXML:AttachmentName>{escape(name)}</edXML:AttachmentName></edXML:Reference>')
        atts.append(f'<Attachment><ContentId>{cid}</ContentId><AttachmentName>{escape(name)}</AttachmentName>'
                    f'<Description>{escape(name)}</Description><ContentType>application/pdf</ContentType>'
                    f'<edXML:ContentTransferEncoded>{base64.b64encode(data).decode()}'
                    f'</edXML:ContentTransferEncoded></Attachment>')
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n'
           f'<edXML xmlns="{NS}" xmlns:edXML="{NS}"><edXML:edXMLEnvelope>'
           f'<edXML:edXMLHeader><edXML:MessageHeader>{_organ("From", from_code)}{to}'
           f'<edXML:DocumentId>{docid}</edXML:DocumentId>'
           f'<edXML:Code><edXML:CodeNumber>{number}</edXML:CodeNumber><edXML:CodeNotation>{notation}'
           f'</edXML:CodeNotation></edXML:Code><edXML:PromulgationInfo><edXML:Place>Hà Nội</edXML:Place>'
           f'<edXML:PromulgationDate>{date}</edXML:PromulgationDate></edXML:PromulgationInfo>'
           f'<edXML:DocumentType><edXML:Type>1</edXML:Type><edXML:TypeDetail>0</edXML:TypeDetail>'
           f'<edXML:TypeName>Công văn</edXML:TypeName></edXML:DocumentType>'
           f'<edXML:Subject>{escape(subject)}</edXML:Subject><edXML:Content>{escape(subject)}</edXML:Content>'
           f'<edXML:SteeringType>1</edXML:SteeringType>'
           f'</edXML:MessageHeader><edXML:TraceHeaderList>{biz}</edXML:TraceHeaderList>'
           f'</edXML:edXMLHeader><edXML:edXMLBody><edXML:edXMLManifest version="1.0">{"".join(refs)}'
           f'</edXML:edXMLManifest></edXML:edXMLBody></edXML:edXMLEnvelope>'
           f'<AttachmentEncoded>{"".join(atts)}</AttachmentEncoded></edXML>')
    return xml.encode(), docid


def status(from_code, to_code, docid, code, description="", timestamp="2026/11/21 08:00:00"):
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n'
           f'<edXML xmlns="{NS}" xmlns:edXML="{NS}"><edXML:edXMLEnvelope><edXML:edXMLHeader><edXML:MessageHeader>'
           f'{_organ("From", from_code)}<edXML:ResponseFor><edXML:OrganId>{to_code}</edXML:OrganId>'
           f'<edXML:Code>1/UBND-VP</edXML:Code><edXML:PromulgationDate>2026/11/20</edXML:PromulgationDate>'
           f'<edXML:DocumentId>{docid}</edXML:DocumentId></edXML:ResponseFor>'
           f'<edXML:StaffInfo><edXML:Department>Văn phòng</edXML:Department><edXML:Staff>Nguyễn Văn A</edXML:Staff>'
           f'<edXML:Mobile/><edXML:Email/></edXML:StaffInfo><edXML:StatusCode>{code}</edXML:StatusCode>'
           f'<edXML:Description>{escape(description)}</edXML:Description>'
           f'<edXML:Timestamp>{timestamp}</edXML:Timestamp></edXML:MessageHeader></edXML:edXMLHeader>'
           f'</edXML:edXMLEnvelope></edXML>')
    return xml.encode()


def sha256(b):
    return hashlib.sha256(b).hexdigest()
