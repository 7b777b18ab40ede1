import Testing
@testable import WebSocketCodec

@Suite struct WebSocketStateMachineTests {
    @Test func openDeliversDataAndAnswersPings() {
        var machine = WebSocketStateMachine()
        #expect(machine.canSendData)
        #expect(machine.receivedMessage(.text("hi")) == .deliver(.text("hi")))
        #expect(machine.receivedMessage(.binary([1])) == .deliver(.binary([1])))
        #expect(machine.receivedMessage(.pong([2])) == .deliver(.pong([2])))
        #expect(machine.receivedMessage(.ping([7, 7])) == .sendPong([7, 7]))
        #expect(machine.state == .open)
    }

    @Test func weCloseFirstAndThePeerAcknowledges() {
        var machine = WebSocketStateMachine()
        #expect(machine.sendClose(code: .normalClosure, reason: "done") == .sendClose([0x03, 0xE8] + Array("done".utf8)))
        #expect(machine.state == .closing)
        #expect(!machine.canSendData)
        #expect(machine.sendClose(code: .goingAway) == WebSocketStateMachine.Action.none)
        // §5.5.1: data may still arrive after our Close; it is dropped.
        #expect(machine.receivedMessage(.text("late")) == .ignore)
        #expect(machine.receivedMessage(.ping([])) == .ignore)
        #expect(machine.receivedMessage(.close(code: .normalClosure, reason: "")) == .closeTransport)
        #expect(machine.state == .closed)
        #expect(machine.peerCloseCode == .normalClosure)
        #expect(machine.receivedMessage(.text("after")) == .ignore)
    }

    @Test func peerClosesFirstAndWeEchoItsCode() {
        var machine = WebSocketStateMachine()
        #expect(machine.receivedMessage(.close(code: .goingAway, reason: "bye"))
            == .sendCloseAndCloseTransport(code: .goingAway, payload: [0x03, 0xE9]))
        #expect(machine.state == .closed)
        #expect(!machine.canSendData)
        #expect(machine.sendClose(code: .normalClosure) == WebSocketStateMachine.Action.none)
    }

    @Test func peerClosesWithoutBodyAndWeAnswerWithout() {
        var machine = WebSocketStateMachine()
        #expect(machine.receivedMessage(.close(code: nil, reason: ""))
            == .sendCloseAndCloseTransport(code: nil, payload: []))
        #expect(machine.peerCloseCode == nil)
    }

    @Test func protocolErrorFailsTheConnection() {
        var machine = WebSocketStateMachine()
        let action = machine.protocolError(WebSocketProtocolError(.invalidUTF8, "bad"))
        guard case .sendCloseAndCloseTransport(let code, let payload) = action else {
            Issue.record("unexpected \(action)")
            return
        }
        #expect(code == .invalidFramePayloadData)
        #expect(Array(payload.prefix(2)) == [0x03, 0xEF])
        #expect(payload.count <= 125)
        #expect(machine.state == .closed)
        #expect(machine.protocolError(WebSocketProtocolError(.unknownOpcode, "x")) == WebSocketStateMachine.Action.none)
    }

    @Test func protocolErrorWhileClosingOnlyClosesTheTransport() {
        var machine = WebSocketStateMachine()
        _ = machine.sendClose(code: .normalClosure)
        #expect(machine.protocolError(WebSocketProtocolError(.frameTooLarge, "big")) == .closeTransport)
        #expect(machine.state == .closed)
    }

    @Test func transportClosedStopsEverything() {
        var machine = WebSocketStateMachine()
        machine.transportClosed()
        #expect(machine.receivedMessage(.ping([])) == .ignore)
        #expect(!machine.canSendData)
    }
}
