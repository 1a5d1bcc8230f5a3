"""Turn a visible invoice PDF into a Factur-X / ZUGFeRD-style hybrid: CII XML attached as ``factur-x.xml``.

Why these pieces: readers find the XML through the EmbeddedFiles name tree *and* the catalog's /AF array (PDF/A-3
associated files) with /AFRelationship /Data or /Alternative; Factur-X tooling identifies the document through
the XMP ``fx:`` properties and the PDF/A identification (part 3, conformance B). An sRGB output intent is added
when Pillow's littleCMS is available. The result is "PDF/A-3-ish": fonts are embedded, but nobody ran veraPDF.
"""

from __future__ import annotations

import io
import struct
from datetime import date
from functools import lru_cache
from typing import Final

import pikepdf

from ._xml import esc

ATTACHMENT_NAME: Final = "factur-x.xml"
FX_NS: Final = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"

_FX_PROPERTIES: Final = (("DocumentFileName", "Name of the embedded XML invoice file"),
                         ("DocumentType", "INVOICE"),
                         ("Version", "Version of the Factur-X XML schema"),
                         ("ConformanceLevel", "Conformance level of the embedded XML invoice"))


def _xmp(title: str, author: str, subject: str, creator: str, producer: str, stamp: str,
         name: str = ATTACHMENT_NAME, kind: str = "INVOICE") -> bytes:
    """XMP packet; the dc/xmp/pdf values mirror the document info dictionary, as PDF/A requires."""
    props = "".join(
        "<rdf:li rdf:parseType=\"Resource\">"
        f"<pdfaProperty:name>{name}</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        f"<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>{desc}</pdfaProperty:description></rdf:li>"
        for name, desc in _FX_PROPERTIES)
    text = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>3</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{esc(title)}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{esc(author)}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{esc(subject)}</rdf:li></rdf:Alt></dc:description>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreatorTool>{esc(creator)}</xmp:CreatorTool>
   <xmp:CreateDate>{stamp}</xmp:CreateDate><xmp:ModifyDate>{stamp}</xmp:ModifyDate>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdf:Producer>{esc(producer)}</pdf:Producer>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:fx="{FX_NS}">
   <fx:DocumentType>{kind}</fx:DocumentType>
   <fx:DocumentFileName>{name}</fx:DocumentFileName>
   <fx:Version>1.0</fx:Version>
   <fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
    xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
   <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
    <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
    <pdfaSchema:namespaceURI>{FX_NS}</pdfaSchema:namespaceURI>
    <pdfaSchema:prefix>fx</pdfaSchema:prefix>
    <pdfaSchema:property><rdf:Seq>{props}</rdf:Seq></pdfaSchema:property>
   </rdf:li></rdf:Bag></pdfaExtension:schemas>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return text.encode("utf-8")


@lru_cache(maxsize=1)
def _srgb_profile() -> bytes | None:
    try:
        from PIL import ImageCms

        data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    except (ImportError, OSError, ValueError, AttributeError):
        return None
    data[24:36] = struct.pack(">6H", 2026, 1, 1, 0, 0, 0)  # lcms stamps "now"; keep output deterministic
    return bytes(data)


def make_hybrid(visible_pdf: bytes, xml: bytes, *, created: date, alternative: bool,
                name: str = ATTACHMENT_NAME, kind: str = "INVOICE") -> bytes:
    """Attach ``xml`` to ``visible_pdf`` as ``name`` (factur-x.xml; order-x.xml for an Order-X ``ORDER``) and
    add the Factur-X XMP metadata."""
    stamp = f"{created.isoformat()}T09:00:00+00:00"
    pdf_date = f"D:{created:%Y%m%d}090000+00'00'"
    with pikepdf.open(io.BytesIO(visible_pdf)) as pdf:
        relationship = pikepdf.Name.Alternative if alternative else pikepdf.Name.Data
        spec = pikepdf.AttachedFileSpec(pdf, xml, description=f"Factur-X {kind.lower()}", filename=name,
                                        mime_type="text/xml", creation_date=pdf_date, mod_date=pdf_date,
                                        relationship=relationship)
        pdf.attachments[name] = spec
        pdf.Root.AF = pdf.make_indirect(pikepdf.Array([pdf.attachments[name].obj]))
        info = pdf.docinfo
        if "/Keywords" in info and not str(info["/Keywords"]):
            del info["/Keywords"]
        title, author, subject, creator, producer = (
            str(info.get(key, "")) for key in ("/Title", "/Author", "/Subject", "/Creator", "/Producer"))
        xmp = _xmp(title, author, subject, creator, producer, stamp, name, kind)
        pdf.Root.Metadata = pdf.make_stream(xmp, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)
        icc = _srgb_profile()
        if icc is not None:
            profile = pdf.make_stream(icc, N=3)
            pdf.Root.OutputIntents = pikepdf.Array([pikepdf.Dictionary(
                Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFA1, OutputConditionIdentifier="sRGB",
                Info="sRGB IEC61966-2.1", DestOutputProfile=profile)])
        info["/CreationDate"] = pdf_date
        info["/ModDate"] = pdf_date
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, min_version="1.7")
    return out.getvalue()
