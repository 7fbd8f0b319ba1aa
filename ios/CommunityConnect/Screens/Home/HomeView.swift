// Home: the phone login, or the resident's accounts with their meters and the outages nearby.
import ConnectCoreKit
import SwiftUI

struct HomeView: View {
    @StateObject var model: HomeViewModel
    @State private var phone = ""
    @State private var code = ""

    var body: some View {
        List {
            if let error = model.state.error { Text(error).foregroundStyle(.red) }
            if model.state.busy || model.state.syncing { ProgressView() }
            if model.state.loggedIn { property } else { login }
        }
        .navigationTitle("my_property")
    }

    @ViewBuilder private var login: some View {
        Section("login_title") {
            TextField("phone", text: $phone).keyboardType(.phonePad).textContentType(.telephoneNumber)
            if model.state.codeSent {
                TextField("code", text: $code).keyboardType(.numberPad).textContentType(.oneTimeCode)
                Button("log_in") { model.verifyCode(phone: phone, code: code) }
            } else {
                Button("send_code") { model.requestCode(phone: phone) }
            }
        }
    }

    @ViewBuilder private var property: some View {
        if model.state.accounts.isEmpty { Text("no_property") }
        ForEach(model.state.accounts, id: \.account) { entry in
            Section(String(format: String(localized: "account"), String(entry.account.prefix(8)))) {
                ForEach(entry.meters, id: \.id) { meter in Text("\(String(describing: meter.kind)) · \(meter.serial)") }
            }
        }
        Section("outages") {
            if model.state.outages.isEmpty { Text("no_outages") }
            ForEach(model.state.outages) { Text("\($0.utility): \($0.description)") }
        }
        Section {
            Button("refresh") { model.refresh() }
            Button("log_out", role: .destructive) { model.logout() }
        }
    }
}

#Preview {
    NavigationStack { HomeView(model: HomeViewModel(core: .preview)) }
}
