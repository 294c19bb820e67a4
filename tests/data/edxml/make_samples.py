#!/usr/bin/env python3
"""Writes the edXML sample packages of this directory and their .expect files.

The good samples follow formats.md §2 and the public VNPT/VPCP samples it cites
(S6, S19, S28); the bad ones each carry one defect. Each NAME.edxml has a
NAME.expect: `key value` lines checked against the parsed package by
tests/unit/test_edxml.c (`status`, and one or more `message` substrings, for
refusals). The files are
committed; run this again only to change them. Attachment bytes are fixed so
the output is reproducible."""
import base64
import hashlib
import io
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"

SIGNATURE = """      <Signature>
        <SignedInfo>
          <CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315" />
          <SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1" />
          <Reference URI="">
            <Transforms>
              <Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature" />
              <Transform Algorithm="http://www.w3.org/TR/xml-exc-c14n#" />
            </Transforms>
            <DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1" />
            <DigestValue>FwgIqsSYJshUS2+wlOM61L+q7Aw=</DigestValue>
          </Reference>
        </SignedInfo>
        <SignatureValue>GbVb8n9+qFxz466Ag0sbpVdLPs2R0+9JBekp12UyarAZjoG0W/kPZZJ1auRZDcNcrSwzgkQMpqrjwxcy3ejzbY==</SignatureValue>
        <KeyInfo>
          <X509Data>
            <X509SubjectName>CN=user05</X509SubjectName>
            <X509Certificate>MIIFqTCCBJG</X509Certificate>
          </X509Data>
        </KeyInfo>
      </Signature>
"""


def zipped(entry_name, data):
    """A ZIP with one entry and a fixed timestamp, as the VNPT builder makes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo(entry_name, date_time=(2018, 9, 28, 10, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, data)
    return buf.getvalue()


INNER = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<edXML xmlns=\"%s\">"
         "<!-- the attached document, itself a package --></edXML>\n" % NS).encode()
ZIP209 = zipped("32da2890-1a55-4ccd-9ac9-cd0d98559e67.edxml", INNER * 40)
PDF = (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       + bytes(range(256)) * 3 + b"\n%%EOF\n")
TXT = "Ghi chú: văn bản kèm theo.\n".encode() * 5


def b64(data, wrap=None, sep="\n"):
    s = base64.b64encode(data).decode()
    if wrap:
        s = sep.join(s[i:i + wrap] for i in range(0, len(s), wrap))
    return s


def sha(data):
    return hashlib.sha256(data).hexdigest()


def organ(tag, p, organ_id, name, charge="", add="", email="", tel="", fax="", web="", ind="        "):
    def el(n, v):
        return f"{ind}  <{p}{n}>{v}</{p}{n}>\n" if v else f"{ind}  <{p}{n}/>\n"
    return (f"{ind}<{p}{tag}>\n" + el("OrganId", organ_id) + el("OrganizationInCharge", charge)
            + el("OrganName", name) + el("OrganAdd", add) + el("Email", email) + el("Telephone", tel)
            + el("Fax", fax) + el("Website", web) + f"{ind}</{p}{tag}>\n")


def write(name, text, expect):
    data = text.encode() if isinstance(text, str) else text
    with open(os.path.join(HERE, name + ".edxml"), "wb") as f:
        f.write(data)
    with open(os.path.join(HERE, name + ".expect"), "w") as f:
        f.write("".join(f"{k} {v}\n" for k, v in expect))


def edoc(header, trace, refs, atts, signature=SIGNATURE, root_extra=""):
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="{NS}"{root_extra}>\n'
            f'  <edXML:edXMLEnvelope xmlns:edXML="{NS}">\n    <edXML:edXMLHeader>\n'
            f"      <edXML:MessageHeader>\n{header}      </edXML:MessageHeader>\n{trace}{signature}"
            f"    </edXML:edXMLHeader>\n    <edXML:edXMLBody>\n"
            f'      <edXML:edXMLManifest version="1.0">\n{refs}      </edXML:edXMLManifest>\n'
            f"    </edXML:edXMLBody>\n  </edXML:edXMLEnvelope>\n  <AttachmentEncoded>\n{atts}"
            f"  </AttachmentEncoded>\n</edXML>\n")


def ref(cid, ctype, desc, name):
    return (f"        <edXML:Reference>\n          <edXML:ContentId>{cid}</edXML:ContentId>\n"
            f"          <edXML:ContentType>{ctype}</edXML:ContentType>\n"
            f"          <edXML:Description>{desc}</edXML:Description>\n"
            f"          <edXML:AttachmentName>{name}</edXML:AttachmentName>\n        </edXML:Reference>\n")


def att(cid, name, desc, ctype, content):
    return (f"    <Attachment>\n      <ContentId>{cid}</ContentId>\n      <AttachmentName>{name}</AttachmentName>\n"
            f"      <Description>{desc}</Description>\n      <ContentType>{ctype}</ContentType>\n"
            f'      <edXML:ContentTransferEncoded xmlns:edXML="{NS}">{content}</edXML:ContentTransferEncoded>\n'
            f"    </Attachment>\n")


# The header of the VNPT "edoc_new" sample (S6): Sở Tài chính Tây Ninh to the
# provincial Party office, date written dd/MM/yyyy, empty elements.
VNPT_NEW_HEADER = (
    organ("From", "edXML:", "000.00.11.H53", "Sở Tài chính", "Tỉnh Tây Ninh", email="stc@tayninh.gov.vn")
    + organ("To", "edXML:", "000.00.01.A53", "Văn phòng tỉnh ủy", "Tỉnh Tây Ninh", "Tỉnh Tây Ninh",
            "vptu@tayninh.gov.vn")
    + """        <edXML:DocumentId>000.00.11.H53,2020/10/30,2491/STC-BCTC</edXML:DocumentId>
        <edXML:Code>
          <edXML:CodeNumber>2491</edXML:CodeNumber>
          <edXML:CodeNotation>STC-BCTC</edXML:CodeNotation>
        </edXML:Code>
        <edXML:PromulgationInfo>
          <edXML:Place>Tây Ninh</edXML:Place>
          <edXML:PromulgationDate>30/10/2020</edXML:PromulgationDate>
        </edXML:PromulgationInfo>
        <edXML:DocumentType>
          <edXML:Type>1</edXML:Type>
          <edXML:TypeDetail>0</edXML:TypeDetail>
          <edXML:TypeName>Công văn</edXML:TypeName>
        </edXML:DocumentType>
        <edXML:Subject>Báo cáo tài chính tỉnh</edXML:Subject>
        <edXML:Content>Báo cáo tài chính tỉnh</edXML:Content>
        <edXML:SignerInfo>
          <edXML:Competence></edXML:Competence>
          <edXML:Position></edXML:Position>
          <edXML:FullName></edXML:FullName>
        </edXML:SignerInfo>
        <edXML:DueDate></edXML:DueDate>
        <edXML:OtherInfo>
          <edXML:Priority>0</edXML:Priority>
          <edXML:SphereOfPromulgation>Liên thông văn bản</edXML:SphereOfPromulgation>
          <edXML:TyperNotation></edXML:TyperNotation>
          <edXML:PromulgationAmount>2</edXML:PromulgationAmount>
          <edXML:PageAmount>22</edXML:PageAmount>
          <edXML:Direction>false</edXML:Direction>
          <edXML:Appendixes>
            <edXML:Appendix/>
          </edXML:Appendixes>
        </edXML:OtherInfo>
        <edXML:SteeringType>1</edXML:SteeringType>
        <edXML:ToPlaces>
          <edXML:Place>Cac bo va co quan ngang bo</edXML:Place>
          <edXML:Place>Uy ban nhan dan cac tinh, TP</edXML:Place>
        </edXML:ToPlaces>
""")

STAFF = """          <edXML:StaffInfo>
            <edXML:Department>Văn thư văn phòng</edXML:Department>
            <edXML:Staff>Nguyễn Thị Ngọc Trâm</edXML:Staff>
            <edXML:Email>vanthuvanphong@gov.vn</edXML:Email>
            <edXML:Mobile>84912000001</edXML:Mobile>
          </edXML:StaffInfo>
"""


def trace(doc_type, reason, docid="000.00.00.G22,2014/02/30,7806/VPCP-TTĐT", extra="", spelling="Bussiness",
          p="edXML:"):
    d = f"          <{p}DocumentId>{docid}</{p}DocumentId>\n" if docid else ""
    return (f"      <{p}TraceHeaderList>\n        <{p}TraceHeader>\n"
            f"          <{p}OrganId>000.00.00.G22</{p}OrganId>\n"
            f"          <{p}Timestamp>2018/09/28 00:00:00</{p}Timestamp>\n        </{p}TraceHeader>\n"
            f"        <{p}{spelling}>\n{d}"
            f"          <{p}{spelling}DocType>{doc_type}</{p}{spelling}DocType>\n"
            f"          <{p}{spelling}DocReason>{reason}</{p}{spelling}DocReason>\n"
            f"          <{p}Paper>0</{p}Paper>\n{extra}{STAFF.replace('edXML:', p)}"
            f"        </{p}{spelling}>\n      </{p}TraceHeaderList>\n")


def zip_att_expect(i, cid, name, data, zipped_flag=1, listed=1):
    pre = f"attachments[{i}]"
    return [(f"{pre}.content_id", cid), (f"{pre}.name", name), (f"{pre}.size", len(data)),
            (f"{pre}.sha256", sha(data)), (f"{pre}.zipped", zipped_flag), (f"{pre}.listed", listed)]


def good_samples():
    # 1. VNPT new document, exactly as the published sample is laid out.
    write("edoc-vnpt-new",
          edoc(VNPT_NEW_HEADER, trace(0, "Văn bản điện tử mới"),
               ref("cid:209", "application/zip", "1896_QD-TTg_m_294779.doc", "1896_QD-TTg_m_294779.doc"),
               att("cid:209", "1896_QD-TTg_m_294779.doc", "1896_QD-TTg_m_294779.doc", "application/zip",
                   b64(ZIP209))),
          [("kind", "edoc"), ("from.organ_id", "000.00.11.H53"), ("from.organ_name", "Sở Tài chính"),
           ("from.organization_in_charge", "Tỉnh Tây Ninh"), ("from.organ_add", "(null)"),
           ("from.email", "stc@tayninh.gov.vn"), ("to.count", 1), ("to[0].organ_id", "000.00.01.A53"),
           ("to[0].organ_name", "Văn phòng tỉnh ủy"),
           ("document_id", "000.00.11.H53,2020/10/30,2491/STC-BCTC"), ("document_id.date", "2020-10-30"),
           ("document_id.code", "2491/STC-BCTC"), ("code.number", "2491"), ("code.notation", "STC-BCTC"),
           ("promulgation.place", "Tây Ninh"), ("promulgation.date", "2020-10-30"),
           ("document_type.type", 1), ("document_type.type_detail", 0), ("document_type.type_name", "Công văn"),
           ("subject", "Báo cáo tài chính tỉnh"), ("signer.competence", "(null)"), ("due_date", ""),
           ("other.priority", 0), ("other.promulgation_amount", 2), ("other.page_amount", 22),
           ("other.direction", 0), ("other.appendixes.count", 0), ("steering_type", 1),
           ("to_places.count", 2), ("to_places[1]", "Uy ban nhan dan cac tinh, TP"),
           ("traces.count", 1), ("traces[0].organ_id", "000.00.00.G22"), ("traces[0].timestamp", "2018-09-28T00:00:00"),
           ("business.present", 1), ("business.doc_type", 0), ("business.doc_reason", "Văn bản điện tử mới"),
           ("business.document_id", "000.00.00.G22,2014/02/30,7806/VPCP-TTĐT"),
           ("business.document_id.date", "2014-02-30"), ("business.paper", 0),
           ("business.staff.staff", "Nguyễn Thị Ngọc Trâm"), ("business.staff.mobile", "84912000001"),
           ("attachments.count", 1)]
          + zip_att_expect(0, "209", "1896_QD-TTg_m_294779.doc", ZIP209)
          + [("attachments[0].encoded_size", len(b64(ZIP209))), ("attachments[0].content_type", "application/zip")])

    # 2. VNPT update (S6 edoc_update): three recipients and the recipient delta.
    upd_header = (
        organ("From", "edXML:", "000.00.00.G22", "Văn phòng Chính phủ", "Văn phòng Chính phủ",
              "Số 1 Hoàng Hoa Thám, Quận Ba Đình, Hà Nội", "vpcp@gov.vn", "8043100", "048989898789", "vpcp.vn")
        + organ("To", "edXML:", "000.00.00.H41", "UBND Tỉnh Nghệ An", "UBND Tỉnh Nghệ An",
                "Số 03, đường Trường Thi, Thành phố Vinh, Tỉnh Nghệ An, Việt Nam", "nghean@gov.vn", "0383 840418")
        + organ("To", "edXML:", "000.00.00.H14", "UBND Tỉnh Cao Bằng", "UBND Tỉnh Cao Bằng",
                "Số 011 - Đường Hoàng Đình Giong - Thành Phố Cao Bằng", "caobang@gov.vn", "02063852139")
        + organ("To", "edXML:", "000.00.04.G14", "Cục Tin học hóa", "Bộ Thông tin và Truyền thông",
                web="aita.gov.vn")
        + VNPT_NEW_HEADER[VNPT_NEW_HEADER.index("        <edXML:DocumentId>"):]
        .replace("000.00.11.H53,2020/10/30,2491/STC-BCTC", "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT")
        .replace("2491", "7816").replace("STC-BCTC", "VPCP-TTĐT").replace("30/10/2020", "2015/09/30")
        .replace("Báo cáo tài chính tỉnh", "V/v kết nối, liên thông phần mềm quản lý văn bản"))
    delta = """          <edXML:BussinessDocumentInfo>
            <edXML:DocumentInfo>1</edXML:DocumentInfo>
            <edXML:DocumentReceiver>1</edXML:DocumentReceiver>
            <edXML:ReceiverList>
              <edXML:Receiver>
                <edXML:OrganId>000.00.00.H41</edXML:OrganId>
                <edXML:ReceiverType>0</edXML:ReceiverType>
              </edXML:Receiver>
              <edXML:Receiver>
                <edXML:OrganId>000.00.00.H14</edXML:OrganId>
                <edXML:ReceiverType>1</edXML:ReceiverType>
              </edXML:Receiver>
            </edXML:ReceiverList>
          </edXML:BussinessDocumentInfo>
"""
    write("edoc-update",
          edoc(upd_header, trace(2, "Cập nhật văn bản điện tử", extra=delta),
               ref("cid:209", "application/zip", "1896_QD-TTg_m_294779.doc", "1896_QD-TTg_m_294779.doc"),
               att("cid:209", "1896_QD-TTg_m_294779.doc", "1896_QD-TTg_m_294779.doc", "application/zip",
                   b64(ZIP209))),
          [("kind", "edoc"), ("from.organ_id", "000.00.00.G22"), ("from.telephone", "8043100"),
           ("to.count", 3), ("to[2].organ_id", "000.00.04.G14"), ("to[2].website", "aita.gov.vn"),
           ("document_id", "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"), ("code.notation", "VPCP-TTĐT"),
           ("promulgation.date", "2015-09-30"),
           ("business.doc_type", 2), ("business.doc_reason", "Cập nhật văn bản điện tử"),
           ("business.document_id", "000.00.00.G22,2014/02/30,7806/VPCP-TTĐT"),
           ("business.document_id.organ_id", "000.00.00.G22"),
           ("business.document_info", 1), ("business.document_receiver", 1),
           ("business.receivers.count", 2), ("business.receivers[0].organ_id", "000.00.00.H41"),
           ("business.receivers[0].receiver_type", 0), ("business.receivers[1].organ_id", "000.00.00.H14"),
           ("business.receivers[1].receiver_type", 1), ("attachments.count", 1)]
          + zip_att_expect(0, "209", "1896_QD-TTg_m_294779.doc", ZIP209))

    # 3. Another producer: its own prefix, the default namespace, Business
    # spelling, shuffled order, foreign and unknown elements, cid:<uuid> in
    # the manifest and the bare uuid on the attachment, wrapped base64 and a
    # CDATA section, every date form.
    u1 = "5f0b6c2e-8d1a-4b7e-9c3d-2a1f0e9d8c7b"
    u2 = "a3c4e5f6-0718-4293-a4b5-c6d7e8f90a1b"
    pdf64 = b64(PDF, 76, "\r\n")
    other = f"""<?xml version="1.0" encoding="utf-8"?>
<!-- produced by a provincial LGSP builder -->
<q:edXML xmlns:q="{NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
<?builder version="2.1" note='a > b'?>
<!-- it's a "note" > with > signs, split - across -->
<q:edXMLEnvelope>
 <edXMLHeader xmlns="{NS}">
  <MessageHeader>
   <Subject>Về việc &lt;triển khai&gt; "mã định danh" &amp; kết nối</Subject>
   <To><OrganId>000.00.00.H14</OrganId><OrganName>UBND tỉnh Cao Bằng</OrganName></To>
   <DocumentId>000.00.00.H63,2021-03-04,15/UBND-VX</DocumentId>
   <x:Extra xmlns:x="urn:example:vendor"><q:From><q:OrganId>000.00.00.H99</q:OrganId></q:From></x:Extra>
   <From>
    <OrganName>UBND tỉnh Lạng Sơn</OrganName>
    <OrganId>  000.00.00.H63  </OrganId>
    <Website>langson.gov.vn</Website>
   </From>
   <To><OrganId>001.00.10.H47</OrganId></To>
   <To><OrganId>999.010.01.H22</OrganId></To>
   <SteeringType>0</SteeringType>
   <Code><CodeNotation>UBND-VX</CodeNotation><CodeNumber>15</CodeNumber></Code>
   <PromulgationInfo><PromulgationDate>2021-03-04</PromulgationDate><Place>Lạng Sơn</Place></PromulgationInfo>
   <DocumentType><TypeName>Công văn</TypeName><Type>18</Type></DocumentType>
   <DueDate>2021-03-15T00:00:00</DueDate>
   <ResponseFor>
    <DocumentId>000.00.04.G14,2021/02/01,120/THH-CPĐT</DocumentId>
    <OrganId>000.00.04.G14</OrganId>
    <PromulgationDate>01/02/2021</PromulgationDate>
    <Code>120/THH-CPĐT</Code>
   </ResponseFor>
   <OtherInfo><Direction>true</Direction><Priority>2</Priority></OtherInfo>
   <ToPlaces><Place>Như trên</Place><Place>Lưu: VT</Place></ToPlaces>
   <Unknown><Deep><Deeper>ignored</Deeper></Deep></Unknown>
  </MessageHeader>
  <TraceHeaderList id="th" version="1.0" mustUnderstand="1" actor="http://schemas.xmlsoap.org/soap/actor/next">
   <Business>
    <BusinessDocReason>Văn bản điện tử mới</BusinessDocReason>
    <BusinessDocType>0</BusinessDocType>
    <Paper>0</Paper>
   </Business>
   <TraceHeader><Timestamp>2021-03-04T08:09:10</Timestamp><OrganId>000.00.00.H63</OrganId></TraceHeader>
   <TraceHeader><OrganId>000.00.00.G22</OrganId><Timestamp>04/03/2021 09:10:11</Timestamp></TraceHeader>
   <TraceHeader><OrganId>000.00.00.H14</OrganId><Timestamp>2021/03/04 10:11:12.345</Timestamp></TraceHeader>
   <TraceHeader><OrganId>000.00.00.H14</OrganId><Timestamp>2021-03-04T10:11:13.1234567+07:00</Timestamp></TraceHeader>
   <TraceHeader><OrganId>000.00.00.H14</OrganId><Timestamp>2021-03-04T03:11:14Z</Timestamp></TraceHeader>
  </TraceHeaderList>
  <DigitalSignature/>
 </edXMLHeader>
 <q:edXMLBody>
  <q:edXMLManifest version="1.0">
   <q:Reference xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="cid:{u1}" xlink:type="simple">
    <q:ContentId>cid:{u1}</q:ContentId>
    <q:ContentType>application/pdf</q:ContentType>
    <q:AttachmentName>15-UBND-VX.pdf</q:AttachmentName>
   </q:Reference>
   <q:Reference><q:ContentId>cid:{u2}</q:ContentId><q:AttachmentName>ghi-chu.txt</q:AttachmentName><q:Description><![CDATA[Ghi chú <nháp> ]] ]]]]><![CDATA[>]]></q:Description></q:Reference>
  </q:edXMLManifest>
 </q:edXMLBody>
</q:edXMLEnvelope>
<AttachmentEncoded xmlns="{NS}">
 <Attachment>
  <q:ContentTransferEncoded>
{pdf64}
  </q:ContentTransferEncoded>
  <ContentType>application/pdf</ContentType>
  <ContentId>{u1}</ContentId>
 </Attachment>
 <Attachment>
  <ContentId>&lt;{u2}&gt;</ContentId>
  <ContentType>text/plain; charset=utf-8</ContentType>
  <ContentTransferEncoded><![CDATA[{b64(TXT)}]]></ContentTransferEncoded>
 </Attachment>
</AttachmentEncoded>
</q:edXML>
"""
    write("edoc-other-producer", other,
          [("kind", "edoc"), ("from.organ_id", "000.00.00.H63"), ("from.organ_name", "UBND tỉnh Lạng Sơn"),
           ("from.website", "langson.gov.vn"), ("from.email", "(null)"),
           ("to.count", 3), ("to[0].organ_id", "000.00.00.H14"), ("to[1].organ_id", "001.00.10.H47"),
           ("to[2].organ_id", "999.010.01.H22"),
           ("subject", 'Về việc <triển khai> "mã định danh" & kết nối'),
           ("document_id", "000.00.00.H63,2021-03-04,15/UBND-VX"), ("document_id.date", "2021-03-04"),
           ("code.number", "15"), ("code.notation", "UBND-VX"), ("promulgation.date", "2021-03-04"),
           ("promulgation.place", "Lạng Sơn"), ("document_type.type", 18), ("document_type.type_detail", -1),
           ("due_date", "2021-03-15"), ("steering_type", 0), ("other.priority", 2), ("other.direction", 1),
           ("other.page_amount", -1), ("to_places.count", 2), ("to_places[0]", "Như trên"),
           ("response_for.count", 1), ("response_for[0].organ_id", "000.00.04.G14"),
           ("response_for[0].code", "120/THH-CPĐT"), ("response_for[0].promulgation_date", "2021-02-01"),
           ("response_for[0].document_id", "000.00.04.G14,2021/02/01,120/THH-CPĐT"),
           ("traces.count", 5), ("traces[3].timestamp", "2021-03-04T10:11:13"),
           ("traces[4].timestamp", "2021-03-04T03:11:14"), ("traces[0].timestamp", "2021-03-04T08:09:10"),
           ("traces[1].organ_id", "000.00.00.G22"), ("traces[1].timestamp", "2021-03-04T09:10:11"),
           ("traces[2].timestamp", "2021-03-04T10:11:12"),
           ("business.present", 1), ("business.doc_type", 0), ("business.doc_reason", "Văn bản điện tử mới"),
           ("business.document_id", ""), ("attachments.count", 2)]
          + zip_att_expect(0, u1, "15-UBND-VX.pdf", PDF, 0)
          + [("attachments[0].content_type", "application/pdf"), ("attachments[0].description", "(null)"),
             ("attachments[0].encoded_size", len(b64(PDF)))]
          + zip_att_expect(1, u2, "ghi-chu.txt", TXT, 0)
          + [("attachments[1].content_type", "text/plain; charset=utf-8"), ("attachments[1].description", "Ghi chú <nháp> ]] ]]>")])

    # 4. Prefixes optimised away: everything in the default namespace.
    plain = edoc(VNPT_NEW_HEADER, trace(0, "Văn bản điện tử mới"), "", "", signature="")
    plain = plain.replace("edXML:", "").replace(f' xmlns:edXML="{NS}"', "")
    plain = plain.replace('<edXMLManifest version="1.0">\n      </edXMLManifest>', '<edXMLManifest version="1.0"/>')
    plain = plain.replace("<AttachmentEncoded>\n  </AttachmentEncoded>", "<AttachmentEncoded/>")
    write("edoc-default-ns", plain,
          [("kind", "edoc"), ("from.organ_id", "000.00.11.H53"), ("to[0].organ_id", "000.00.01.A53"),
           ("document_id", "000.00.11.H53,2020/10/30,2491/STC-BCTC"), ("promulgation.date", "2020-10-30"),
           ("business.doc_type", 0), ("attachments.count", 0)])

    # 5. Minimal: no DocumentId (made from its parts), no trace list, nothing attached.
    minimal = f"""<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="{NS}">
  <edXML:edXMLEnvelope xmlns:edXML="{NS}">
    <edXML:edXMLHeader>
      <edXML:MessageHeader>
{organ("From", "edXML:", "000.00.00.H14", "UBND tỉnh Cao Bằng")}{organ("To", "edXML:", "000.00.00.G22", "Văn phòng Chính phủ")}        <edXML:Code><edXML:CodeNumber>42</edXML:CodeNumber><edXML:CodeNotation>UBND-TH</edXML:CodeNotation></edXML:Code>
        <edXML:PromulgationInfo><edXML:PromulgationDate>2024/02/29</edXML:PromulgationDate></edXML:PromulgationInfo>
        <edXML:Subject>Báo cáo</edXML:Subject>
      </edXML:MessageHeader>
    </edXML:edXMLHeader>
  </edXML:edXMLEnvelope>
</edXML>
"""
    write("edoc-minimal", minimal,
          [("kind", "edoc"), ("from.organ_id", "000.00.00.H14"), ("document_id", "000.00.00.H14,2024/02/29,42/UBND-TH"),
           ("document_id.organ_id", "000.00.00.H14"), ("promulgation.date", "2024-02-29"), ("traces.count", 0),
           ("business.present", 0), ("business.doc_type", -1), ("attachments.count", 0), ("steering_type", -1)])

    # 6. Revocation (§2.9 flow 2) and 7. replacement (flow 4).
    rv_header = upd_header.replace("7816/VPCP-TTĐT", "7901/VPCP-TTĐT").replace("<edXML:CodeNumber>7816",
                                                                            "<edXML:CodeNumber>7901")
    write("edoc-revoke",
          edoc(rv_header, trace(1, "Thu hồi văn bản ban hành nhầm", "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"), "", ""),
          [("kind", "edoc"), ("business.doc_type", 1), ("business.doc_reason", "Thu hồi văn bản ban hành nhầm"),
           ("business.document_id", "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"),
           ("business.document_id.date", "2015-09-30"), ("attachments.count", 0)])
    repl = """          <edXML:ReplacementInfoList>
            <edXML:ReplacementInfo>
              <edXML:DocumentId>000.00.00.G22,2015/09/30,7816/VPCP-TTĐT</edXML:DocumentId>
              <edXML:OrganIdList>
                <edXML:OrganId>000.00.00.H41</edXML:OrganId>
                <edXML:OrganId>000.00.00.H14</edXML:OrganId>
              </edXML:OrganIdList>
            </edXML:ReplacementInfo>
            <edXML:ReplacementInfo>
              <edXML:DocumentId>000.00.00.G22,2015/10/02,7820/VPCP-TTĐT</edXML:DocumentId>
              <edXML:OrganIdList><edXML:OrganId>000.00.04.G14</edXML:OrganId></edXML:OrganIdList>
            </edXML:ReplacementInfo>
          </edXML:ReplacementInfoList>
"""
    write("edoc-replace",
          edoc(rv_header, trace(3, "Thay thế văn bản", None, repl),
               ref("cid:1", "application/pdf", "Văn bản thay thế", "7901-VPCP.pdf"),
               att("1", "7901-VPCP.pdf", "Văn bản thay thế", "application/pdf", b64(PDF))),
          [("kind", "edoc"), ("business.doc_type", 3), ("business.document_id", ""),
           ("business.replacements.count", 2),
           ("business.replacements[0].document_id", "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"),
           ("business.replacements[0].organ_ids", "000.00.00.H41,000.00.00.H14"),
           ("business.replacements[1].organ_ids", "000.00.04.G14"), ("attachments.count", 1)]
          + zip_att_expect(0, "1", "7901-VPCP.pdf", PDF, 0))

    # 8. Status packages (§2.8): the published 05, a revocation request (13)
    # with a recipient, and a refusal of a change (16).
    def status(code, desc, ts, frm, rf_date="2015/09/30", to="", staff_order=("Mobile", "Email")):
        staff = "".join(f"\t\t\t<edXML:{k}>{v}</edXML:{k}>\n" for k, v in
                        [("Department", "Phong hanh chinh"), ("Staff", "Nguyen thi ngoc tram")]
                        + [(k, {"Mobile": "84912000001", "Email": "ngoctram@nghean.vn"}[k]) for k in staff_order])
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="{NS}">
  <edXML:edXMLEnvelope xmlns:edXML="{NS}">
    <edXML:edXMLHeader>
      <edXML:MessageHeader>
{frm}{to}        <edXML:ResponseFor>
\t\t\t<edXML:OrganId>000.00.00.G22</edXML:OrganId>
\t\t\t<edXML:Code>7816/VPCP-TTĐT</edXML:Code>
\t\t\t<edXML:PromulgationDate>{rf_date}</edXML:PromulgationDate>
\t\t\t<edXML:DocumentId>000.00.00.G22,2015/09/30,7816/VPCP-TTĐT</edXML:DocumentId>
        </edXML:ResponseFor>
\t\t<edXML:StaffInfo>    
{staff}\t\t</edXML:StaffInfo>
        <edXML:StatusCode>{code}</edXML:StatusCode>
        <edXML:Description>{desc}</edXML:Description>
        <edXML:Timestamp>{ts}</edXML:Timestamp>
      </edXML:MessageHeader>
    </edXML:edXMLHeader>
  </edXML:edXMLEnvelope>
</edXML>
"""
    nghean = organ("From", "edXML:", "000.00.00.H41", "UBND Tỉnh Nghệ An", "UBND Tỉnh Nghệ An",
                   "Số 03, đường Trường Thi, Thành phố Vinh, Tỉnh Nghệ An, Việt Nam", "nghean@gov.vn",
                   "0383 840418", "0383 843049", "www.nghean.vn")
    common = [("kind", "status"), ("response_for.count", 1), ("response_for[0].organ_id", "000.00.00.G22"),
              ("response_for[0].document_id", "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"),
              ("response_for[0].promulgation_date", "2015-09-30"), ("staff.department", "Phong hanh chinh"),
              ("staff.mobile", "84912000001"), ("attachments.count", 0), ("business.present", 0)]
    write("status-05-processing", status("05", "Đang xử lý văn bản đến", "2015/09/20 11:08:36", nghean),
          common + [("status_code", "05"), ("description", "Đang xử lý văn bản đến"),
                    ("timestamp", "2015-09-20T11:08:36"), ("from.organ_id", "000.00.00.H41"), ("to.count", 0)])
    vpcp = organ("From", "edXML:", "000.00.00.G22", "Văn phòng Chính phủ")
    write("status-13-revoke",
          status("13", "Đề nghị thu hồi văn bản", "2015-10-01 08:00:00", vpcp, "30/09/2015",
                 organ("To", "edXML:", "000.00.00.H41", "UBND Tỉnh Nghệ An"), ("Email", "Mobile")),
          common + [("status_code", "13"), ("timestamp", "2015-10-01T08:00:00"), ("from.organ_id", "000.00.00.G22"),
                    ("to.count", 1), ("to[0].organ_id", "000.00.00.H41")])
    write("status-16-change-refused", status("16", "Từ chối cập nhật", "01/10/2015 09:30:00", nghean),
          common + [("status_code", "16"), ("timestamp", "2015-10-01T09:30:00")])


def bad(name, text, message, status="EINVAL"):
    write(name, text, [("status", status), ("message", message)])


def bad_samples():
    ok_status = open(os.path.join(HERE, "status-05-processing.edxml"), encoding="utf-8").read()
    ok_new = open(os.path.join(HERE, "edoc-vnpt-new.edxml"), encoding="utf-8").read()
    ok_upd = open(os.path.join(HERE, "edoc-update.edxml"), encoding="utf-8").read()
    ok_min = open(os.path.join(HERE, "edoc-minimal.edxml"), encoding="utf-8").read()
    ok_repl = open(os.path.join(HERE, "edoc-replace.edxml"), encoding="utf-8").read()
    ok_rev = open(os.path.join(HERE, "edoc-revoke.edxml"), encoding="utf-8").read()
    hdr = "edXMLEnvelope/edXMLHeader/MessageHeader"
    bus = "edXMLEnvelope/edXMLHeader/TraceHeaderList/Bussiness"

    def sub(text, old, new, count=1):
        assert old in text, old
        return text.replace(old, new, count)

    bad("bad-not-xml", "Gói tin này không phải XML\n", "line 1: not well-formed XML")
    bad("bad-empty", "", "the package is empty")
    bad("bad-namespace", sub(ok_min, f'<edXML xmlns="{NS}">', '<edXML xmlns="http://www.e-doc.vn/Schema/">'),
        "edXML: the root element is in namespace 'http://www.e-doc.vn/Schema/', not in namespace " + NS)
    bad("bad-no-namespace", sub(ok_min, f'<edXML xmlns="{NS}">', "<edXML>"),
        "edXML: the root element is in no namespace")
    bad("bad-soap-dialect", f"""<?xml version="1.0" encoding="UTF-8"?>
<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:edXML="http://www.e-doc.vn/Schema/">
  <soap-env:Header><edXML:MessageHeader><edXML:From><edXML:OrganId>000.00.00.G22</edXML:OrganId></edXML:From></edXML:MessageHeader></soap-env:Header>
  <soap-env:Body><edXML:Manifest/></soap-env:Body>
</soap-env:Envelope>
""", "Envelope: a SOAP envelope is the legacy edXML form (Dialect B)")
    bad("bad-missing-from", sub(ok_min, organ("From", "edXML:", "000.00.00.H14", "UBND tỉnh Cao Bằng"), ""),
        hdr + ": From is missing")
    bad("bad-missing-to", sub(ok_min, organ("To", "edXML:", "000.00.00.G22", "Văn phòng Chính phủ"), ""),
        hdr + ": To is missing")
    bad("bad-from-no-organid", sub(ok_min, "<edXML:OrganId>000.00.00.H14</edXML:OrganId>", "<edXML:OrganId/>"),
        hdr + "/From: OrganId is missing")
    bad("bad-to-code", sub(ok_upd, "<edXML:OrganId>000.00.00.H14</edXML:OrganId>",
                           "<edXML:OrganId>000.00.00.H9X</edXML:OrganId>"),
        hdr + "/To[2]/OrganId: 000.00.00.H9X is not a valid code: ")
    bad("bad-date", sub(ok_min, "2024/02/29", "2023/02/29"),
        hdr + "/PromulgationInfo/PromulgationDate: '2023/02/29' is not a real calendar date")
    bad("bad-date-form", sub(ok_new, "30/10/2020", "30.10.2020"),
        hdr + "/PromulgationInfo/PromulgationDate: '30.10.2020' is not a date")
    bad("bad-timestamp", sub(ok_new, "2018/09/28 00:00:00", "hôm qua"),
        "edXMLEnvelope/edXMLHeader/TraceHeaderList/TraceHeader[1]/Timestamp: 'hôm qua' is not a timestamp")
    bad("bad-integer", sub(ok_new, "<edXML:SteeringType>1<", "<edXML:SteeringType>một<"),
        hdr + "/SteeringType: 'một' is not a whole number")
    bad("bad-docid", sub(ok_new, "000.00.11.H53,2020/10/30,2491/STC-BCTC", "2491/STC-BCTC"),
        hdr + "/DocumentId: '2491/STC-BCTC' is not a DocumentId")
    bad("bad-duplicate-from", sub(ok_min, "</edXML:Subject>",
                                  "</edXML:Subject>\n" + organ("From", "edXML:", "000.00.00.H99", "Kẻ mạo danh")),
        hdr + "/From: From appears more than once")
    bad("bad-doctype-value", sub(ok_new, "<edXML:BussinessDocType>0<", "<edXML:BussinessDocType>7<"),
        bus + "/BussinessDocType: 7 is not one of 0 (new), 1 (revocation), 2 (update), 3 (replacement)")
    bad("bad-revoke-no-docid",
        sub(ok_rev, "          <edXML:DocumentId>000.00.00.G22,2015/09/30,7816/VPCP-TTĐT</edXML:DocumentId>\n", ""),
        bus + ": BussinessDocType 1 (revocation) needs DocumentId")
    bad("bad-update-no-docid",
        sub(ok_upd, "          <edXML:DocumentId>000.00.00.G22,2014/02/30,7806/VPCP-TTĐT</edXML:DocumentId>\n", ""),
        bus + ": BussinessDocType 2 (update) needs DocumentId")
    bad("bad-replace-empty", sub(ok_repl, ok_repl[ok_repl.index("          <edXML:ReplacementInfoList>"):
                                                  ok_repl.index("</edXML:ReplacementInfoList>\n") + 29], ""),
        bus + ": BussinessDocType 3 (replacement) needs ReplacementInfoList/ReplacementInfo")
    bad("bad-replace-no-organ", sub(ok_repl, "<edXML:OrganIdList><edXML:OrganId>000.00.04.G14</edXML:OrganId></edXML:OrganIdList>",
                                    "<edXML:OrganIdList/>"),
        bus + "/ReplacementInfoList/ReplacementInfo[2]: OrganIdList names no OrganId")
    bad("bad-receiver-type", sub(ok_upd, "<edXML:ReceiverType>1<", "<edXML:ReceiverType>2<"),
        bus + "/BussinessDocumentInfo/ReceiverList/Receiver[2]/ReceiverType: 2 is not one of 0 (removed) or 1 (added)")
    bad("bad-status-code", sub(ok_status, "<edXML:StatusCode>05<", "<edXML:StatusCode>14<"),
        hdr + "/StatusCode: '14' is not a status code")
    bad("bad-status-no-docid",
        sub(ok_status, "\t\t\t<edXML:DocumentId>000.00.00.G22,2015/09/30,7816/VPCP-TTĐT</edXML:DocumentId>\n", ""),
        hdr + "/ResponseFor[1]: DocumentId is missing")
    bad("bad-status-no-responsefor",
        sub(ok_status, ok_status[ok_status.index("        <edXML:ResponseFor>"):
                                  ok_status.index("</edXML:ResponseFor>\n") + 21], ""),
        hdr + ": ResponseFor is missing")
    bad("bad-missing-header", sub(ok_status, ok_status[ok_status.index("      <edXML:MessageHeader>"):
                                                      ok_status.index("</edXML:MessageHeader>\n") + 23], ""),
        "edXMLEnvelope/edXMLHeader: MessageHeader is missing")
    bad("bad-base64", sub(ok_new, ">UEsDB", ">UEs*B"),
        "AttachmentEncoded/Attachment[1]/ContentTransferEncoded: not base64: byte 0x2a at character 4")
    z = b64(ZIP209)
    cut = z[: (len(z) // 4) * 4 - 2].rstrip("=")
    bad("bad-base64-truncated", sub(ok_new, z, cut),
        "AttachmentEncoded/Attachment[1]/ContentTransferEncoded: the base64 content ends inside a group")
    bad("bad-attachment-absent",
        sub(ok_new, "      </edXML:edXMLManifest>",
            ref("cid:210", "application/pdf", "Phụ lục", "phu-luc.pdf") + "      </edXML:edXMLManifest>"),
        "edXMLEnvelope/edXMLBody/edXMLManifest/Reference[2]: attachment '210' is listed in the manifest but absent")
    bad("bad-attachment-no-content",
        sub(ok_new, ok_new[ok_new.index("      <edXML:ContentTransferEncoded"):
                           ok_new.index("</edXML:ContentTransferEncoded>\n") + 32], ""),
        "AttachmentEncoded/Attachment[1]: ContentTransferEncoded is missing")
    bad("bad-attachment-no-cid", sub(ok_new, "      <ContentId>cid:209</ContentId>\n", ""),
        "AttachmentEncoded/Attachment[1]: ContentId is missing")
    one = ok_new[ok_new.index("    <Attachment>"):ok_new.index("</Attachment>\n") + 14]
    bad("bad-duplicate-cid", sub(ok_new, one, one + one),
        "AttachmentEncoded/Attachment[2]: ContentId '209' repeats Attachment[1]")
    write("bad-tag-mismatch",
          sub(ok_min, "<edXML:Subject>Báo cáo</edXML:Subject>", "<edXML:Subject>Báo cáo</edXML:Subjet>"),
          [("status", "EINVAL"), ("message", hdr + "/Subject: line 28: not well-formed XML: "),
           ("message", "Opening and ending tag mismatch: Subject")])
    cut_at = ok_upd.index("<edXML:OrganId>", ok_upd.index("<edXML:ReceiverList>")) + len("<edXML:OrganId>000.00")
    write("bad-truncated", ok_upd[:cut_at],
          [("status", "EINVAL"), ("message", bus + "/BussinessDocumentInfo/ReceiverList/Receiver[1]/OrganId: line "),
           ("message", "the package ends before this element is closed (truncated?)")])
    bad("bad-xxe", sub(ok_min, f'<edXML xmlns="{NS}">',
                       '<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
                       f'<edXML xmlns="{NS}">').replace("Báo cáo", "&xxe;"),
        "a DOCTYPE is not allowed in a package")
    lol = "".join(f'  <!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">\n' for i in range(1, 10))
    bad("bad-billion-laughs", '<?xml version="1.0"?>\n<!DOCTYPE edXML [\n  <!ENTITY lol0 "lol">\n' + lol + "]>\n"
        + sub(ok_min, '<?xml version="1.0" encoding="UTF-8"?>\n', "").replace("Báo cáo", "&lol9;"),
        "a DOCTYPE is not allowed in a package")
    bad("bad-undefined-entity", sub(ok_min, "Báo cáo", "&nbsp;Báo cáo"),
        hdr + "/Subject: line 28: not well-formed XML: Entity 'nbsp' not defined")


if __name__ == "__main__":
    for f in os.listdir(HERE):
        if f.endswith((".edxml", ".expect")):
            os.remove(os.path.join(HERE, f))
    good_samples()
    bad_samples()
