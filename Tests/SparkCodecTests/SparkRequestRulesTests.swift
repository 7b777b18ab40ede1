import Testing
import SparkCodec

/// Every rule of `SparkRequestRules` at its boundaries, in both profiles.
@Suite struct SparkRequestRulesTests {
    static let general = SparkModelTable.default.model(named: "generalv3.5")!
    static let lite = SparkModelTable.default.model(named: "lite")!
    static let x1 = SparkModelTable.default.model(named: "x1")!

    static func user(_ text: String = "q") -> SparkChatMessage { SparkChatMessage(role: .user, content: text) }
    static func assistant(_ text: String = "a") -> SparkChatMessage { SparkChatMessage(role: .assistant, content: text) }
    static func system(_ text: String = "s") -> SparkChatMessage { SparkChatMessage(role: .system, content: text) }

    /// The violation `rule` throws, `nil` when it passes.
    static func violation(_ rule: () throws(SparkRequestRuleViolation) -> Void) -> SparkRequestRuleViolation? {
        do throws(SparkRequestRuleViolation) {
            try rule()
            return nil
        } catch {
            return error
        }
    }

    @Test func profiles() {
        #expect(SparkRequestRules.client.rejectsBlankContent && SparkRequestRules.client.requiresUserLast
                && SparkRequestRules.client.rejectsEmptyUID)
        #expect(!SparkRequestRules.gateway.rejectsBlankContent && !SparkRequestRules.gateway.requiresUserLast
                && !SparkRequestRules.gateway.rejectsEmptyUID)
    }

    // MARK: - Messages

    @Test func messageCount() {
        for rules in [SparkRequestRules.client, .gateway] {
            #expect(Self.violation { () throws(SparkRequestRuleViolation) in try rules.checkMessageCount(0) } == .noMessages)
            #expect(Self.violation { () throws(SparkRequestRuleViolation) in try rules.checkMessageCount(1) } == nil)
        }
    }

    @Test(arguments: ["system", "user", "assistant"])
    func documentedRolesPass(role: String) {
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in
            try SparkRequestRules.gateway.checkRole(SparkChatMessage.Role(rawValue: role), at: 3)
        } == nil)
    }

    @Test(arguments: ["tool", "function", "developer", "", "User", "user "])
    func otherRolesAreUndocumented(role: String) {
        let role = SparkChatMessage.Role(rawValue: role)
        for rules in [SparkRequestRules.client, .gateway] {
            #expect(Self.violation { () throws(SparkRequestRuleViolation) in try rules.checkRole(role, at: 2) }
                    == .undocumentedRole(index: 2, role: role))
        }
    }

    @Test(arguments: ["", " ", "\n\t ", "\u{3000}", "\u{A0}\r\n"])
    func blankContent(content: String) {
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in try SparkRequestRules.client.checkContent(content, at: 1) }
                == .blankContent(index: 1))
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in try SparkRequestRules.gateway.checkContent(content, at: 1) } == nil)
    }

    @Test(arguments: ["x", " x ", "\n好\n", "0"])
    func contentWithTextPasses(content: String) {
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in try SparkRequestRules.client.checkContent(content, at: 0) } == nil)
    }

    @Test func systemOnlyFirst() {
        let rules = SparkRequestRules.gateway
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in try rules.checkPosition(.system, at: 0) } == nil)
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in try rules.checkPosition(.system, at: 1) } == .systemNotFirst(index: 1))
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in try rules.checkPosition(.user, at: 5) } == nil)
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in try rules.checkPosition(.assistant, at: 0) } == nil)
    }

    @Test func lastMessageFromTheUser() {
        let client = SparkRequestRules.client
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in try client.checkLastMessage([Self.user()]) } == nil)
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in
            try client.checkLastMessage([Self.system(), Self.user(), Self.assistant(), Self.user()])
        } == nil)
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in try client.checkLastMessage([Self.user(), Self.assistant()]) }
                == .lastNotFromUser(index: 1))
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in try client.checkLastMessage([Self.system()]) }
                == .lastNotFromUser(index: 0))
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in try client.checkLastMessage([]) } == .noMessages)
        let gateway = SparkRequestRules.gateway
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in try gateway.checkLastMessage([Self.user(), Self.assistant()]) } == nil)
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in try gateway.checkLastMessage([]) } == nil)
    }

    @Test func userAndAssistantTurnsNeedNotAlternate() {
        // No front end enforces alternation today (OpenAI's mapping merges same-role turns itself).
        let messages = [Self.user(), Self.user(), Self.assistant(), Self.assistant(), Self.user()]
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in try SparkRequestRules.client.checkMessages(messages) } == nil)
    }

    @Test func checkMessagesReportsTheFirstProblemInOrder() {
        let rules = SparkRequestRules.client
        let tool = SparkChatMessage(role: .init(rawValue: "tool"), content: " ")
        // Per message: role, then content, then position; messages in order; the last message after all.
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in try rules.checkMessages([]) } == .noMessages)
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in try rules.checkMessages([Self.user(), tool]) }
                == .undocumentedRole(index: 1, role: tool.role))
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in try rules.checkMessages([Self.user(), Self.system(" ")]) }
                == .blankContent(index: 1))
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in try rules.checkMessages([Self.user(), Self.system(), Self.user("")]) }
                == .systemNotFirst(index: 1))
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in try rules.checkMessages([Self.user(), Self.assistant(" ")]) }
                == .blankContent(index: 1))
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in try rules.checkMessages([Self.system(), Self.user()]) } == nil)
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in
            try SparkRequestRules.gateway.checkMessages([Self.system(""), Self.assistant("")])
        } == nil)
    }

    // MARK: - Parameters

    @Test func temperatureHasAnOpenLowerBound() {
        let rules = SparkRequestRules.client
        func check(_ value: Double, _ model: SparkModel?) -> SparkRequestRuleViolation? {
            Self.violation { () throws(SparkRequestRuleViolation) in try rules.checkTemperature(value, for: model) }
        }
        for accepted in [0.000_001, 0.5, 1] { #expect(check(accepted, Self.general) == nil) }
        for refused in [0, -0.1, 1.000_001, 2, .infinity, -.infinity] {
            #expect(check(refused, Self.general) == .temperatureOutOfRange(refused, allowed: 0...1))
        }
        #expect(check(.nan, Self.general) != nil)
        #expect(check(2, Self.x1) == nil)
        #expect(check(1.5, Self.x1) == nil)
        #expect(check(2.000_001, Self.x1) == .temperatureOutOfRange(2.000_001, allowed: 0...2))
        #expect(check(0, Self.x1) == .temperatureOutOfRange(0, allowed: 0...2))
        // Without a model: the widest range, (0, 2].
        #expect(check(2, nil) == nil)
        #expect(check(0.000_001, nil) == nil)
        #expect(check(0, nil) == .temperatureOutOfRange(0, allowed: SparkRequestRules.modelFreeTemperatureRange))
        #expect(check(2.000_001, nil) == .temperatureOutOfRange(2.000_001, allowed: 0...2))
    }

    @Test func maxTokensPerModel() {
        let rules = SparkRequestRules.client
        func check(_ value: Int, _ model: SparkModel?) -> SparkRequestRuleViolation? {
            Self.violation { () throws(SparkRequestRuleViolation) in try rules.checkMaxTokens(value, for: model) }
        }
        for (model, limit) in [(Self.lite, 4096), (Self.general, 8192), (Self.x1, 32768)] {
            #expect(check(1, model) == nil)
            #expect(check(limit, model) == nil)
            #expect(check(0, model) == .maxTokensOutOfRange(0, limit: limit))
            #expect(check(-1, model) == .maxTokensOutOfRange(-1, limit: limit))
            #expect(check(limit + 1, model) == .maxTokensOutOfRange(limit + 1, limit: limit))
        }
        #expect(check(32768, nil) == nil)
        #expect(check(32769, nil) == .maxTokensOutOfRange(32769, limit: SparkRequestRules.modelFreeMaxTokensLimit))
        #expect(check(0, nil) == .maxTokensOutOfRange(0, limit: 32768))
    }

    @Test func topKFromOneToSix() {
        for value in 1...6 {
            #expect(Self.violation { () throws(SparkRequestRuleViolation) in try SparkRequestRules.gateway.checkTopK(value) } == nil)
        }
        for value in [0, 7, -1, Int.max] {
            #expect(Self.violation { () throws(SparkRequestRuleViolation) in try SparkRequestRules.gateway.checkTopK(value) }
                    == .topKOutOfRange(value))
        }
    }

    @Test func uidLengthCountsUnicodeScalars() {
        func check(_ uid: String, _ rules: SparkRequestRules = .client) -> SparkRequestRuleViolation? {
            Self.violation { () throws(SparkRequestRuleViolation) in try rules.checkUID(uid) }
        }
        #expect(check("u") == nil)
        #expect(check(String(repeating: "u", count: 32)) == nil)
        #expect(check(String(repeating: "u", count: 33)) == .uidTooLong(length: 33))
        #expect(check(String(repeating: "用", count: 32)) == nil)
        #expect(check(String(repeating: "用", count: 33)) == .uidTooLong(length: 33))
        // 17 characters but 34 scalars (e + combining acute accent): too long for Spark.
        let combining = String(repeating: "e\u{301}", count: 17)
        #expect(combining.count == 17)
        #expect(check(combining) == .uidTooLong(length: 34))
        #expect(check(String(repeating: "e\u{301}", count: 16)) == nil)
        // Any characters: Spark documents no character set for uid.
        #expect(check("a b/c:d@e.f-_+=?#%") == nil)
        #expect(check("") == .emptyUID)
        #expect(check("", .gateway) == nil)
        #expect(check(String(repeating: "u", count: 33), .gateway) == .uidTooLong(length: 33))
    }

    @Test func nearestTemperatureClampsIntoTheModelsRange() {
        #expect(SparkRequestRules.nearestTemperature(to: 0, for: Self.general) == 0.01)
        #expect(SparkRequestRules.nearestTemperature(to: -1, for: Self.general) == 0.01)
        #expect(SparkRequestRules.nearestTemperature(to: 0.5, for: Self.general) == 0.5)
        #expect(SparkRequestRules.nearestTemperature(to: 1.5, for: Self.general) == 1)
        #expect(SparkRequestRules.nearestTemperature(to: 1.5, for: Self.x1) == 1.5)
        #expect(SparkRequestRules.nearestTemperature(to: 3, for: Self.x1) == 2)
        for value in stride(from: 0.0, through: 2.0, by: 0.25) {
            let nearest = SparkRequestRules.nearestTemperature(to: value, for: Self.general)
            #expect(Self.violation { () throws(SparkRequestRuleViolation) in
                try SparkRequestRules.client.checkTemperature(nearest, for: Self.general)
            } == nil)
        }
    }

    // MARK: - Functions

    @Test func functions() {
        let rules = SparkRequestRules.client
        func check(_ functions: [SparkFunction], _ model: SparkModel) -> SparkRequestRuleViolation? {
            Self.violation { () throws(SparkRequestRuleViolation) in try rules.checkFunctions(functions, for: model) }
        }
        func function(_ name: String = "f", _ parameters: String = "") -> SparkFunction {
            SparkFunction(name: name, description: "", parametersJSON: Array(parameters.utf8))
        }
        #expect(check([], Self.lite) == nil)
        #expect(check([function()], Self.lite) == .functionsUnsupported(model: "lite"))
        #expect(check([function()], Self.general) == nil)
        #expect(check([function("f", "{}"), function("g", #" {"type":"object"} "#)], Self.general) == nil)
        #expect(check([function(), function("")], Self.general) == .emptyFunctionName(index: 1))
        #expect(check([function("f", "[1]")], Self.general) == .functionParametersNotAnObject(index: 0))
        #expect(check([function("f", "{")], Self.general) == .functionParametersNotAnObject(index: 0))
        #expect(check([function("f", "null")], Self.general) == .functionParametersNotAnObject(index: 0))
        #expect(Self.violation { () throws(SparkRequestRuleViolation) in try rules.checkFunctionSupport(count: 0, for: Self.lite) } == nil)
    }

    // MARK: - All at once

    @Test func validateRunsEveryCheckInOrder() {
        func validate(messages: [SparkChatMessage] = [Self.user()], temperature: Double? = nil, maxTokens: Int? = nil, topK: Int? = nil,
                      uid: String? = nil, functions: [SparkFunction] = [], model: SparkModel = Self.general) -> SparkRequestRuleViolation? {
            Self.violation { () throws(SparkRequestRuleViolation) in
                try SparkRequestRules.client.validate(messages: messages, temperature: temperature, maxTokens: maxTokens, topK: topK,
                                                      uid: uid, functions: functions, model: model)
            }
        }
        let bad = SparkFunction(name: "", description: "", parametersJSON: [])
        #expect(validate() == nil)
        #expect(validate(temperature: 0.5, maxTokens: 8192, topK: 6, uid: "u", functions: [SparkFunction(name: "f", description: "", parametersJSON: [])]) == nil)
        #expect(validate(messages: [], temperature: 0, maxTokens: 0, topK: 0, uid: "", functions: [bad]) == .noMessages)
        #expect(validate(temperature: 0, maxTokens: 0, topK: 0, uid: "", functions: [bad]) == .temperatureOutOfRange(0, allowed: 0...1))
        #expect(validate(maxTokens: 0, topK: 0, uid: "", functions: [bad]) == .maxTokensOutOfRange(0, limit: 8192))
        #expect(validate(topK: 0, uid: "", functions: [bad]) == .topKOutOfRange(0))
        #expect(validate(uid: "", functions: [bad]) == .emptyUID)
        #expect(validate(functions: [bad]) == .emptyFunctionName(index: 0))
        #expect(validate(functions: [bad], model: Self.lite) == .functionsUnsupported(model: "lite"))
    }

    @Test func descriptionsNameTheField() {
        let cases: [(SparkRequestRuleViolation, String)] = [
            (.noMessages, "messages"), (.undocumentedRole(index: 2, role: .init(rawValue: "tool")), "messages[2].role"),
            (.blankContent(index: 1), "messages[1].content"), (.systemNotFirst(index: 3), "messages[3].role"),
            (.lastNotFromUser(index: 4), "messages[4].role"), (.temperatureOutOfRange(0, allowed: 0...1), "temperature"),
            (.maxTokensOutOfRange(0, limit: 8192), "max_tokens"), (.topKOutOfRange(7), "top_k"), (.emptyUID, "uid"),
            (.uidTooLong(length: 40), "uid"), (.functionsUnsupported(model: "lite"), "functions"),
            (.emptyFunctionName(index: 0), "functions[0].name"), (.functionParametersNotAnObject(index: 1), "functions[1].parameters"),
        ]
        for (violation, field) in cases {
            #expect(violation.description.hasPrefix(field + ": "), "\(violation.description)")
        }
    }
}
