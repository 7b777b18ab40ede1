import Testing
@testable import SparkCodec

@Suite struct SparkChatRequestDecodingTests {
    static func frame(header: String = #"{"app_id":"12345678"}"#, chat: String = #"{"domain":"generalv3.5"}"#,
                      text: String = #"[{"role":"user","content":"hi"}]"#, extraPayload: String = "") -> [UInt8] {
        Array(#"{"header":\#(header),"parameter":{"chat":\#(chat)},"payload":{"message":{"text":\#(text)}\#(extraPayload)}}"#.utf8)
    }

    static func error(_ json: [UInt8], model: SparkModel? = nil) -> SparkChatRequestDecodingError? {
        do {
            if let model { _ = try SparkChatRequest.decode(json: json, for: model) } else { _ = try SparkChatRequest.decode(json: json) }
            return nil
        } catch {
            return error
        }
    }

    @Test func decodesAValidFrame() throws {
        let json = Self.frame(
            header: #"{"app_id":"12345678","uid":"u1"}"#,
            chat: #"{"domain":"generalv3.5","temperature":0.5,"max_tokens":4096,"top_k":4,"chat_id":"c","auditing":"default"}"#,
            text: #"[{"role":"system","content":"s"},{"role":"user","content":"q"},{"role":"assistant","content":"a"},{"role":"user","content":"q2"}]"#,
            extraPayload: #","functions":{"text":[{"name":"f","description":"d","parameters": {"type" : "object"}}]}"#)
        let model = try #require(SparkModelTable.default.model(named: "generalv3.5"))
        let request = try SparkChatRequest.decode(json: json, for: model)
        #expect(request.appID == "12345678" && request.uid == "u1" && request.domain == "generalv3.5")
        #expect(request.temperature == 0.5 && request.maxTokens == 4096 && request.topK == 4 && request.chatID == "c")
        #expect(request.messages.map(\.role) == [.system, .user, .assistant, .user])
        #expect(request.functions == [SparkFunction(name: "f", description: "d", parametersJSON: Array(#"{"type" : "object"}"#.utf8))])
        #expect(request.webSearch == nil)
    }

    @Test func decodesWebSearchTools() throws {
        let off = Self.frame(chat: #"{"domain":"generalv3.5","tools":[{"type":"web_search","web_search":{"enable":false}}]}"#)
        #expect(try SparkChatRequest.decode(json: off).webSearch == false)
        let on = Self.frame(chat: #"{"domain":"generalv3.5","tools":[{"type":"web_search"}]}"#)
        #expect(try SparkChatRequest.decode(json: on).webSearch == true)
    }

    @Test(arguments: [
        ("", 10003, SparkChatRequestDecodingError.Reason.invalidJSON, ""),
        ("{", 10003, .invalidJSON, ""),
        (#"{"header":{"app_id":"a"}} x"#, 10003, .invalidJSON, ""),
        ("[]", 10004, .missingField, "header"),
        (#"{"parameter":{"chat":{"domain":"lite"}},"payload":{"message":{"text":[]}}}"#, 10004, .missingField, "header"),
    ])
    func structuralErrors(json: String, code: Int, reason: SparkChatRequestDecodingError.Reason, field: String) throws {
        let error = try #require(Self.error(Array(json.utf8)))
        #expect(error.code == code)
        #expect(error.reason == reason)
        #expect(error.field == field)
    }

    @Test func fieldErrorsCarrySparkCodes() throws {
        let cases: [([UInt8], Int, SparkChatRequestDecodingError.Reason, String)] = [
            (Self.frame(header: "{}"), 10004, .missingField, "header.app_id"),
            (Self.frame(header: #"{"app_id":12345678}"#), 10004, .wrongType, "header.app_id"),
            (Self.frame(header: #"{"app_id":"a","uid":"\#(String(repeating: "x", count: 33))"}"#), 10005, .outOfRange, "header.uid"),
            (Self.frame(chat: "{}"), 10004, .missingField, "parameter.chat.domain"),
            (Self.frame(chat: #"{"domain":"lite","temperature":"0.5"}"#), 10004, .wrongType, "parameter.chat.temperature"),
            (Self.frame(chat: #"{"domain":"lite","temperature":0}"#), 10005, .outOfRange, "parameter.chat.temperature"),
            (Self.frame(chat: #"{"domain":"lite","temperature":2.5}"#), 10005, .outOfRange, "parameter.chat.temperature"),
            (Self.frame(chat: #"{"domain":"lite","max_tokens":0}"#), 10005, .outOfRange, "parameter.chat.max_tokens"),
            (Self.frame(chat: #"{"domain":"lite","max_tokens":1.5}"#), 10004, .wrongType, "parameter.chat.max_tokens"),
            (Self.frame(chat: #"{"domain":"lite","top_k":7}"#), 10005, .outOfRange, "parameter.chat.top_k"),
            (Self.frame(chat: #"{"domain":"lite","top_k":0}"#), 10005, .outOfRange, "parameter.chat.top_k"),
            (Self.frame(chat: #"{"domain":"lite","tools":{}}"#), 10004, .wrongType, "parameter.chat.tools"),
            (Self.frame(text: "[]"), 10004, .emptyMessages, "payload.message.text"),
            (Self.frame(text: "{}"), 10004, .wrongType, "payload.message.text"),
            (Self.frame(text: #"["hi"]"#), 10004, .wrongType, "payload.message.text[0]"),
            (Self.frame(text: #"[{"role":"user"}]"#), 10004, .missingField, "payload.message.text[0].content"),
            (Self.frame(text: #"[{"content":"x"}]"#), 10004, .missingField, "payload.message.text[0].role"),
            (Self.frame(text: #"[{"role":"tool","content":"x"}]"#), 10005, .invalidRole, "payload.message.text[0].role"),
            (Self.frame(text: #"[{"role":"user","content":"x"},{"role":"system","content":"s"}]"#), 10005, .systemNotFirst,
             "payload.message.text[1].role"),
            (Self.frame(extraPayload: #","functions":{"text":[{"description":"d"}]}"#), 10004, .missingField, "payload.functions.text[0].name"),
            (Self.frame(extraPayload: #","functions":{"text":[{"name":"f","parameters":[]}]}"#), 10004, .wrongType,
             "payload.functions.text[0].parameters"),
        ]
        for (json, code, reason, field) in cases {
            let error = try #require(Self.error(json), "\(json.utf8String)")
            #expect(error.code == code, "\(json.utf8String)")
            #expect(error.reason == reason, "\(json.utf8String)")
            #expect(error.field == field, "\(json.utf8String)")
            #expect(!error.message.isEmpty)
        }
    }

    @Test func modelChecks() throws {
        let lite = try #require(SparkModelTable.default.model(named: "lite"))
        let x1 = try #require(SparkModelTable.default.model(named: "x1"))
        #expect(Self.error(Self.frame(chat: #"{"domain":"generalv3.5"}"#), model: lite)?.reason == .domainMismatch)
        #expect(Self.error(Self.frame(chat: #"{"domain":"generalv3.5"}"#), model: lite)?.code == 10005)
        #expect(Self.error(Self.frame(chat: #"{"domain":"lite"}"#), model: lite) == nil)
        #expect(Self.error(Self.frame(chat: #"{"domain":"lite","max_tokens":8192}"#), model: lite)?.reason == .outOfRange)
        #expect(Self.error(Self.frame(chat: #"{"domain":"lite","temperature":1.5}"#), model: lite)?.reason == .outOfRange)
        #expect(Self.error(Self.frame(chat: #"{"domain":"x1","temperature":1.5,"max_tokens":32768}"#), model: x1) == nil)
        let long = String(repeating: "很长的问题", count: 3000)
        let tooLong = Self.error(Self.frame(chat: #"{"domain":"lite"}"#, text: #"[{"role":"user","content":"\#(long)"}]"#), model: lite)
        #expect(tooLong?.code == 10907)
        #expect(tooLong?.reason == .tooLong)
        #expect(Self.error(Self.frame(chat: #"{"domain":"lite"}"#, text: #"[{"role":"user","content":"\#(long)"}]"#)) == nil)
    }

    @Test func nullOptionalsCountAsAbsent() throws {
        let request = try SparkChatRequest.decode(json: Self.frame(
            header: #"{"app_id":"a","uid":null}"#, chat: #"{"domain":"lite","temperature":null,"tools":null}"#))
        #expect(request.uid == nil && request.temperature == nil && request.webSearch == nil)
    }
}
