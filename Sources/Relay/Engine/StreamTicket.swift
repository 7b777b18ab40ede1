import HTTPCodec

/// What a `POST /chat` ticket carries so that any relay can open the conversation: the request as
/// it was received (re-validated on claim) and the client (and named key) it counts against.
struct StreamTicket: Sendable, Equatable {
    var client: String
    var keyName: String?
    var contentType: String?
    var body: [UInt8]

    /// `v2\n{client}\n{key name}\n{content type}\n{body}`: client ids, key names and header values
    /// never hold a line feed.
    var encoded: [UInt8] {
        Array("v2\n\(client)\n\(keyName ?? "")\n\(contentType ?? "")\n".utf8) + body
    }

    init(client: String, keyName: String?, contentType: String?, body: [UInt8]) {
        self.client = client
        self.keyName = keyName
        self.contentType = contentType
        self.body = body
    }

    /// Parses `encoded`; `nil` for anything else.
    init?(encoded bytes: [UInt8]) {
        var lines: [[UInt8]] = []
        var start = 0
        var index = 0
        while lines.count < 4 && index < bytes.count {
            if bytes[index] == 0x0A {
                lines.append(Array(bytes[start..<index]))
                start = index + 1
            }
            index += 1
        }
        guard lines.count == 4, lines[0] == Array("v2".utf8) else { return nil }
        client = String(decoding: lines[1], as: UTF8.self)
        keyName = lines[2].isEmpty ? nil : String(decoding: lines[2], as: UTF8.self)
        contentType = lines[3].isEmpty ? nil : String(decoding: lines[3], as: UTF8.self)
        body = Array(bytes[start...])
    }

    /// The headers `ChatInput.parse` looks at.
    var headers: HTTPHeaders {
        var headers = HTTPHeaders()
        if let contentType { headers.replaceOrAdd(name: "Content-Type", value: contentType) }
        return headers
    }
}
