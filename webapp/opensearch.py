"""The OpenSearch description that lets browsers add the site as a search engine.

Built with ElementTree rather than a template so that every URL is escaped as XML and the
file ships with the package (package data lists only ``templates/*.html``).
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from flask import current_app, url_for

NAMESPACE = "http://a9.com/-/spec/opensearch/1.1/"
SHORT_NAME = "Tra cứu kho báo"
DESCRIPTION = "Tìm kiếm trong kho lưu trữ bài báo tiếng Việt"


def _url(endpoint: str, **values: str) -> str:
    """Absolute with the configured address, else relative: never from the Host header."""
    base = current_app.config["PUBLIC_URL"] or current_app.config["SERVED_URL"] or ""
    return base + url_for(endpoint, **values)


def description_xml() -> bytes:
    root = ET.Element("OpenSearchDescription", xmlns=NAMESPACE)
    ET.SubElement(root, "ShortName").text = SHORT_NAME
    ET.SubElement(root, "Description").text = DESCRIPTION
    ET.SubElement(root, "InputEncoding").text = "UTF-8"
    ET.SubElement(root, "Language").text = "vi"
    image = ET.SubElement(root, "Image", width="16", height="16", type="image/svg+xml")
    image.text = _url("static", filename="favicon.svg")
    for kind, endpoint in (("text/html", "views.search"), ("application/json", "views.api_search")):
        template = _url(endpoint) + "?q={searchTerms}"
        ET.SubElement(root, "Url", type=kind, method="get", template=template)
    ET.SubElement(root, "Url", type="application/opensearchdescription+xml", rel="self",
                  template=_url("views.opensearch"))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
