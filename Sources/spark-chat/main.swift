// spark-chat: a tiny example of SparkKit. Streams Spark's answer to a prompt to stdout as it arrives.
//
//   SPARK_APP_ID=… SPARK_API_KEY=… SPARK_API_SECRET=… swift run spark-chat "用一句话介绍合肥"
//   swift run spark-chat --simulator "你好"               # an in-process Spark simulator, fake credentials
//   swift run spark-chat --model x1 --reasoning "1+1=?"   # X1's reasoning goes to stderr
import Foundation
import RelayIO
import SparkKit
import SparkSimulator

let usage = """
    usage: spark-chat [--simulator] [--model NAME] [--base-url ws(s)://HOST[:PORT]] [--reasoning] PROMPT
    Credentials come from SPARK_APP_ID, SPARK_API_KEY and SPARK_API_SECRET (not needed with --simulator).

    """

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("spark-chat: \(message)\n".utf8))
    exit(1)
}

// MARK: - Arguments

var model = "generalv3.5"
var baseURL: String?
var useSimulator = false
var showReasoning = false
var promptWords: [String] = []
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--simulator": useSimulator = true
    case "--reasoning": showReasoning = true
    case "--model":
        guard let value = arguments.popFirst() else { fail("--model needs a value") }
        model = value
    case "--base-url":
        guard let value = arguments.popFirst() else { fail("--base-url needs a value") }
        baseURL = value
    case "-h", "--help":
        FileHandle.standardOutput.write(Data(usage.utf8))
        exit(0)
    default:
        if argument.hasPrefix("--") { fail("unknown option \(argument)\n\(usage)") }
        promptWords.append(argument)
    }
}
guard !promptWords.isEmpty else { fail("no prompt given\n\(usage)") }

// MARK: - Client

var configuration = SparkClient.Configuration()
let credentials: SparkCredentials
var simulator: SimulatorServer?
if useSimulator {
    let server = SimulatorServer(configuration: SimulatorConfiguration(), group: EventLoopGroup(count: 1, label: "spark-chat.sim"))
    do {
        let address = try server.start()
        configuration.baseURL = SparkEndpoint(scheme: "ws", host: "127.0.0.1", port: address.port, path: "/")
    } catch {
        fail("cannot start the simulator: \(error)")
    }
    simulator = server
    credentials = SimulatorConfiguration.defaultCredentials
    FileHandle.standardError.write(Data("[using the built-in Spark simulator at \(configuration.baseURL)]\n".utf8))
} else {
    let environment = ProcessInfo.processInfo.environment
    guard let appID = environment["SPARK_APP_ID"], let apiKey = environment["SPARK_API_KEY"],
          let apiSecret = environment["SPARK_API_SECRET"] else {
        fail("set SPARK_APP_ID, SPARK_API_KEY and SPARK_API_SECRET, or pass --simulator")
    }
    credentials = SparkCredentials(appID: appID, apiKey: apiKey, apiSecret: apiSecret)
}
if let baseURL {
    guard let endpoint = SparkEndpoint(url: baseURL) else { fail("--base-url must be a ws:// or wss:// URL") }
    configuration.baseURL = endpoint
}
let client = SparkClient(credentials: credentials, configuration: configuration)

// MARK: - Streaming

var reasoningOpen = false
do throws(SparkClientError) {
    for try await event in client.stream(ChatRequest(model: model, prompt: promptWords.joined(separator: " "))) {
        switch event {
        case .reasoningDelta(let text) where showReasoning:
            FileHandle.standardError.write(Data(text.utf8))
            reasoningOpen = true
        case .textDelta(let text):
            if reasoningOpen {
                FileHandle.standardError.write(Data("\n".utf8))
                reasoningOpen = false
            }
            FileHandle.standardOutput.write(Data(text.utf8))
        case .functionCall(let name, let arguments):
            FileHandle.standardOutput.write(Data("function call: \(name)(\(arguments))".utf8))
        case .done(let sid, let usage):
            FileHandle.standardOutput.write(Data("\n".utf8))
            let tokens = usage.map { "\($0.totalTokens) tokens" } ?? "no usage"
            FileHandle.standardError.write(Data("[\(tokens), sid \(sid ?? "-")]\n".utf8))
        default:
            break
        }
    }
} catch {
    simulator?.stop()
    fail("\(error)")
}
simulator?.stop()
