import Foundation
import Testing
@testable import SparkCodec

@Suite struct SparkChatMessageTests {
    @Test func roleIsAnOpenSetEncodedAsString() throws {
        let message = SparkChatMessage(role: SparkChatMessage.Role(rawValue: "tool"), content: "x")
        let data = try JSONEncoder().encode(message)
        #expect(String(decoding: data, as: UTF8.self).contains("\"role\":\"tool\""))
        #expect(try JSONDecoder().decode(SparkChatMessage.self, from: data) == message)
        #expect(SparkChatMessage.Role.documented == [.system, .user, .assistant])
    }
}
