"""The OpenSearch description that lets browsers add the site as a search engine.

Built with ElementTree rather than a template so that every URL is escaped as XML and the
file ships with the package (package data lists only ``templates/*.html``).
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from flask import url_for

NAMESPACE = "http://a9.com/-/spec/opensearch/1.1/"
SHORT_NAME = "Tra cứu kho báo"
DESCRIPTION = "Tìm kiếm trong kho lưu trữ bài báo tiếng Việt"


def description_xml() -> bytes:
    root = ET.Element("OpenSearchDescription", xmlns=NAMESPACE)
    ET.SubElement(root, "ShortName").text = SHORT_NAME
    ET.SubElement(root, "Description").text = DESCRIPTION
    ET.SubElement(root, "InputEncoding").text = "UTF-8"
    ET.SubElement(root, "Language").text = "vi"
    image = ET.SubElement(root, "Image", width="16", height="16", type="image/svg+xml")
    image.text = url_for("static", filename="favicon.svg", _external=True)
    for kind, endpoint in (("text/html", "views.search"), ("application/json", "views.api_search")):
        template = url_for(endpoint, _external=True) + "?q={searchTerms}"
        ET.SubElement(root, "Url", type=kind, method="get", template=template)
    ET.SubElement(root, "Url", type="application/opensearchdescription+xml", rel="self",
                  template=url_for("views.opensearch", _external=True))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
