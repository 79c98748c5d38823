//! Chooses the mode: a Lambda function when the Lambda Runtime API is there,
//! the CLI otherwise.

fn main() -> std::process::ExitCode {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        host::lambda::main()
    } else {
        host::cli::main()
    }
}
