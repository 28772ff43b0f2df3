package io.pgjobs.dashboard;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * The standalone server's answer to what never reaches the servlet (a malformed request line or URI, a path
 * outside the mount): {@code {"error": "Bad Request"}} with the status, as the JSON API answers, instead of
 * Jetty's HTML page, which names Jetty and may echo the request.
 */
final class JsonErrorHandler extends ErrorHandler {
    private static final String CONTENT_TYPE = "application/json;charset=utf-8";

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, CONTENT_TYPE);
        response.write(true, body(code), callback);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, CONTENT_TYPE);
        return body(status);
    }

    /** Only the status's standard reason: Jetty's message can quote the request back. */
    private static ByteBuffer body(int code) {
        String reason = HttpStatus.getMessage(code);
        return ByteBuffer.wrap(("{\"error\":\"" + (reason == null ? "HTTP " + code : reason) + "\"}")
                .getBytes(StandardCharsets.UTF_8));
    }
}
