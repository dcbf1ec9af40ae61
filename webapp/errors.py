"""Error pages: Vietnamese HTML for people, JSON for /api/ and /healthz, never a traceback."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from indexer.search import IndexMissing

from .params import BadParameter

MESSAGES = {
    400: ("Yêu cầu không hợp lệ", "Địa chỉ này có tham số không hợp lệ."),
    403: ("Trang chỉ dành cho người quản lý kho",
          "Trang này chỉ mở được trên chính máy chủ chạy vnsearch (địa chỉ 127.0.0.1), vì nó "
          "nêu tên các tệp trong kho. Hãy mở trang trên máy chủ, hoặc nhờ người quản trị cho "
          "phép mạng của bạn (LIBRARIAN_NETWORKS) hay khai báo máy chủ trung gian "
          "(TRUSTED_PROXIES)."),
    404: ("Không tìm thấy trang",
          "Trang hoặc bài báo bạn tìm không có trong kho. Có thể đường dẫn đã bị gõ sai "
          "hoặc bài đã bị gỡ khỏi kho lưu trữ."),
    405: ("Phương thức không được hỗ trợ", "Trang này không nhận loại yêu cầu đó."),
    500: ("Đã có lỗi xảy ra",
          "Máy chủ gặp sự cố khi xử lý yêu cầu. Vui lòng thử lại sau ít phút."),
    503: ("Chưa có chỉ mục tìm kiếm",
          "Chưa có chỉ mục tìm kiếm nên chưa thể tra cứu. Người quản trị cần chạy lệnh "
          "“vnsearch index” để tạo chỉ mục; trang sẽ hoạt động ngay khi chỉ mục sẵn sàng."),
}
RETRY_AFTER_SECONDS = "30"


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_response(status: int, detail: str | None = None, **extra: object) -> Response:
    fallback = MESSAGES[500] if status >= 500 else MESSAGES[400]
    title, message = MESSAGES.get(status, fallback)
    if wants_json():
        response = jsonify({"error": detail or title, "status": status, **extra})
    else:
        response = Response(
            render_template("error.html", status=status, title=title, message=message),
            mimetype="text/html",
        )
    response.status_code = status
    return response


def register(app: Flask) -> None:
    @app.errorhandler(BadParameter)
    def bad_parameter(err: BadParameter) -> Response:
        return error_response(400, err.message, parameter=err.name)

    @app.errorhandler(IndexMissing)
    def index_missing(err: IndexMissing) -> Response:
        app.logger.warning("%s", err)
        response = error_response(503, "Chưa có chỉ mục tìm kiếm: hãy chạy `vnsearch index`.")
        response.headers["Retry-After"] = RETRY_AFTER_SECONDS
        return response

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> Response:
        code = err.code or 500
        response = error_response(code)
        if code == 405 and err.get_response().headers.get("Allow"):
            response.headers["Allow"] = err.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def unexpected(err: Exception) -> Response:
        app.logger.exception("unhandled error on %s", request.path, exc_info=err)
        return error_response(InternalServerError.code)
