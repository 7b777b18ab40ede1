import HTTPCodec

/// What a `POST /chat` ticket carries so that any relay can open the conversation: the request as
/// it was received (re-validated on claim), the client (and named key) it counts against, and —
/// with tracing on — the `traceparent` of the span that made it, so that the conversation's spans
/// join that trace wherever the ticket is claimed.
struct StreamTicket: Sendable, Equatable {
    var client: String
    var keyName: String?
    var contentType: String?
    var body: [UInt8]
    /// The `traceparent` naming the span of the `POST /chat` (`nil`: tracing off).
    var traceParent: String?

    /// `v2\n{client}\n{key name}\n{content type}\n{body}`, or with a trace parent
    /// `v3\n{client}\n{key name}\n{content type}\n{traceparent}\n{body}`: client ids, key names,
    /// header values and trace parents never hold a line feed. Without tracing, tickets stay `v2`,
    /// which relays of the previous version read too.
    var encoded: [UInt8] {
        guard let traceParent else { return Array("v2\n\(client)\n\(keyName ?? "")\n\(contentType ?? "")\n".utf8) + body }
        return Array("v3\n\(client)\n\(keyName ?? "")\n\(contentType ?? "")\n\(traceParent)\n".utf8) + body
    }

    init(client: String, keyName: String?, contentType: String?, body: [UInt8], traceParent: String? = nil) {
        self.client = client
        self.keyName = keyName
        self.contentType = contentType
        self.body = body
        self.traceParent = traceParent.flatMap { $0.isEmpty || $0.utf8.contains(0x0A) ? nil : $0 }
    }

    /// Parses `encoded`; `nil` for anything else.
    init?(encoded bytes: [UInt8]) {
        let version: Int
        if bytes.starts(with: Array("v2\n".utf8)) {
            version = 2
        } else if bytes.starts(with: Array("v3\n".utf8)) {
            version = 3
        } else {
            return nil
        }
        let lineCount = version == 2 ? 4 : 5
        var lines: [[UInt8]] = []
        var start = 0
        var index = 0
        while lines.count < lineCount && index < bytes.count {
            if bytes[index] == 0x0A {
                lines.append(Array(bytes[start..<index]))
                start = index + 1
            }
            index += 1
        }
        guard lines.count == lineCount else { return nil }
        client = String(decoding: lines[1], as: UTF8.self)
        keyName = lines[2].isEmpty ? nil : String(decoding: lines[2], as: UTF8.self)
        contentType = lines[3].isEmpty ? nil : String(decoding: lines[3], as: UTF8.self)
        traceParent = version == 3 && !lines[4].isEmpty ? String(decoding: lines[4], as: UTF8.self) : nil
        body = Array(bytes[start...])
    }

    /// The headers `ChatInput.parse` looks at.
    var headers: HTTPHeaders {
        var headers = HTTPHeaders()
        if let contentType { headers.replaceOrAdd(name: "Content-Type", value: contentType) }
        return headers
    }
}
