import JSON

/// The one request frame a client sends after the handshake (SparkCodec/README.md §4).
public struct SparkChatRequest: Sendable, Equatable {
    /// Spark's limit on `header.uid`, in Unicode scalars.
    public static let maxUIDLength = 32

    /// `header.app_id`: the console APPID.
    public var appID: String
    /// `header.uid`: optional end-user id. Longer values are TRUNCATED to `maxUIDLength` scalars (on init
    /// and on assignment), so encoding never fails; the decoder, like Spark, rejects longer ones (10005).
    public var uid: String? {
        didSet { uid = Self.truncatedUID(uid) }
    }
    /// `parameter.chat.domain`: must match the endpoint's model.
    public var domain: String
    /// `parameter.chat.temperature`, (0, 1] ((0, 2] for X1); omitted when `nil`.
    public var temperature: Double?
    /// `parameter.chat.max_tokens`; omitted when `nil`.
    public var maxTokens: Int?
    /// `parameter.chat.top_k`, [1, 6]; omitted when `nil`.
    public var topK: Int?
    /// `parameter.chat.chat_id`; omitted when `nil`.
    public var chatID: String?
    /// `payload.message.text`: optional system message first, then the history ending with the question.
    public var messages: [SparkChatMessage]
    /// `payload.functions.text`; the whole `functions` object is omitted when empty.
    public var functions: [SparkFunction]
    /// Web search switch: when non-nil, `parameter.chat.tools` is sent explicitly (Spark's default is ON).
    public var webSearch: Bool?

    /// Creates a request.
    public init(appID: String, uid: String? = nil, domain: String, temperature: Double? = nil, maxTokens: Int? = nil,
                topK: Int? = nil, chatID: String? = nil, messages: [SparkChatMessage], functions: [SparkFunction] = [],
                webSearch: Bool? = nil) {
        self.appID = appID
        self.uid = Self.truncatedUID(uid)
        self.domain = domain
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.topK = topK
        self.chatID = chatID
        self.messages = messages
        self.functions = functions
        self.webSearch = webSearch
    }

    private static func truncatedUID(_ uid: String?) -> String? {
        guard let uid, uid.unicodeScalars.count > maxUIDLength else { return uid }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: uid.unicodeScalars.prefix(maxUIDLength))
        return String(scalars)
    }

    /// The request frame as one line of JSON, members in the order of SparkCodec/README.md §4.1, `nil`
    /// optionals omitted. Deterministic: the same request always gives the same bytes.
    public func encodeJSON() -> [UInt8] {
        var writer = JSONWriter(capacity: 256 + messages.reduce(0) { $0 + $1.content.utf8.count + 32 })
        writer.beginObject()
        writer.key("header")
        writer.beginObject()
        writer.key("app_id")
        writer.string(appID)
        if let uid {
            writer.key("uid")
            writer.string(uid)
        }
        writer.endObject()

        writer.key("parameter")
        writer.beginObject()
        writer.key("chat")
        writer.beginObject()
        writer.key("domain")
        writer.string(domain)
        if let temperature {
            writer.key("temperature")
            writer.double(temperature)
        }
        if let maxTokens {
            writer.key("max_tokens")
            writer.int(maxTokens)
        }
        if let topK {
            writer.key("top_k")
            writer.int(topK)
        }
        if let chatID {
            writer.key("chat_id")
            writer.string(chatID)
        }
        if let webSearch {
            writer.key("tools")
            Self.writeWebSearchTools(enabled: webSearch, to: &writer)
        }
        writer.endObject()
        writer.endObject()

        writer.key("payload")
        writer.beginObject()
        writer.key("message")
        writer.beginObject()
        writer.key("text")
        writer.beginArray()
        for message in messages {
            writer.beginObject()
            writer.key("role")
            writer.string(message.role.rawValue)
            writer.key("content")
            writer.string(message.content)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        if !functions.isEmpty {
            writer.key("functions")
            writer.beginObject()
            writer.key("text")
            writer.beginArray()
            for function in functions {
                writer.beginObject()
                writer.key("name")
                writer.string(function.name)
                writer.key("description")
                writer.string(function.description)
                writer.key("parameters")
                if function.parametersJSON.isEmpty {
                    writer.raw("{}".utf8)
                } else {
                    writer.raw(function.parametersJSON)
                }
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
        }
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    /// `[{"type":"web_search","web_search":{"enable":…,"show_ref_label":false,"search_mode":"normal"}}]`
    private static func writeWebSearchTools(enabled: Bool, to writer: inout JSONWriter) {
        writer.beginArray()
        writer.beginObject()
        writer.key("type")
        writer.string("web_search")
        writer.key("web_search")
        writer.beginObject()
        writer.key("enable")
        writer.bool(enabled)
        writer.key("show_ref_label")
        writer.bool(false)
        writer.key("search_mode")
        writer.string("normal")
        writer.endObject()
        writer.endObject()
        writer.endArray()
    }
}
