@testable import SparkSimulator
import Testing

@Suite("SimulatorDirectives parsing")
struct SimulatorDirectivesTests {
    @Test func noDirectivesLeavesThePromptTrimmed() {
        let (directives, prompt) = SimulatorDirectives.parse("  你好  ")
        #expect(directives == SimulatorDirectives())
        #expect(prompt == "你好")
    }

    @Test func everyDirectiveParses() {
        let text = "问 [[error:10013@2]] [[drop@3]] [[stall@4]] [[fragment]] [[ping]] [[oversize:70000]] [[big]] "
            + "[[function:get_weather]] [[reasoning]] [[plugin]] [[delay:15]] [[chunks:9]] [[slow-first:250]] [[stamp]] [[chunk-chars:14]]"
        let (d, prompt) = SimulatorDirectives.parse(text)
        #expect(prompt == "问")
        #expect(d.error == .init(code: 10013, afterFrames: 2))
        #expect(d.dropAfter == 3)
        #expect(d.stallAfter == 4)
        #expect(d.fragment && d.ping && d.big && d.reasoning && d.plugin && d.stamp)
        #expect(d.oversizeBytes == 70000)
        #expect(d.functionName == "get_weather")
        #expect(d.delayMilliseconds == 15)
        #expect(d.chunkCount == 9)
        #expect(d.slowFirstMilliseconds == 250)
        #expect(d.charactersPerChunk == 14)
    }

    @Test func errorWithoutPositionHasNoAnswer() {
        #expect(SimulatorDirectives.parse("[[error:11200]]").directives.error == .init(code: 11200, afterFrames: nil))
        #expect(SimulatorDirectives.parse("[[error:11200]]").prompt == "")
    }

    /// Malformed directives stay in the prompt, as before, but are now recorded (the simulator
    /// refuses such a request) so that a fault asked for is never silently left out.
    @Test func malformedOrUnknownDirectivesStayInThePrompt() {
        for text in ["[[error]]", "[[error:abc]]", "[[drop]]", "[[drop@x]]", "[[chunks:0]]", "[[chunk-chars:0]]", "[[delay:-1]]", "[[oversize:0]]",
                     "[[function:]]", "[[function:a b]]", "[[fragment:1]]", "[[big@2]]"] {
            let (directives, prompt) = SimulatorDirectives.parse("x \(text) y")
            var expected = SimulatorDirectives()
            expected.malformed = directives.malformed
            #expect(directives == expected, "\(text)")
            #expect(directives.malformed.count == 1 && directives.malformed[0].hasPrefix("\(text): write [["), "\(text)")
            #expect(prompt == "x \(text) y", "\(text)")
        }
        #expect(SimulatorDirectives.parse("x [[drop]] y").directives.malformed == ["[[drop]]: write [[drop@N]] (N answer frames before the drop)"])
        for text in ["[[unknown]]", "[[ping", "[[Wiki page]]"] {
            let (directives, prompt) = SimulatorDirectives.parse("x \(text) y")
            #expect(directives == SimulatorDirectives(), "\(text)")
            #expect(prompt == "x \(text) y", "\(text)")
        }
    }

    @Test func directivesInsideTextAreRemovedVerbatim() {
        let (directives, prompt) = SimulatorDirectives.parse("天气[[chunks:2]]怎么样")
        #expect(directives.chunkCount == 2)
        #expect(prompt == "天气怎么样")
    }

    @Test func chunkCharactersGiveEqualPiecesOfTheRepeatedAnswer() {
        let answer = Array(SimulatorScript.answer(for: "长"))
        let pieces = SimulatorScript.chunks(for: "长", chunkCount: 9, charactersPerChunk: 14)
        #expect(pieces.count == 9 && pieces.allSatisfy { $0.count == 14 })
        #expect(Array(pieces.joined()) == (0..<(9 * 14)).map { answer[$0 % answer.count] })
        #expect(SimulatorScript.chunks(for: "长", chunkCount: nil, charactersPerChunk: 1).joined() == String(answer))
        #expect(SimulatorScript.chunks(for: "长", chunkCount: 4, charactersPerChunk: nil) == SimulatorScript.chunks(for: "长", chunkCount: 4))
    }
}
