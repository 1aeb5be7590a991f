use std::io::Read;

use ketch::error::{Error, Result};
use ketch::registry::{self, Credential, RegistryOptions};

use ketch::tls::TlsOptions;

use crate::cli::{RegistryArgs, RegistryCommand, RegistryLoginArgs, TlsArgs};

impl From<&RegistryArgs> for RegistryOptions {
    fn from(args: &RegistryArgs) -> Self {
        RegistryOptions {
            plain_http: args.plain_http,
            tls: (&args.tls).into(),
            ..Default::default()
        }
    }
}

impl From<&TlsArgs> for TlsOptions {
    fn from(args: &TlsArgs) -> Self {
        TlsOptions {
            ca_file: args.ca_file.clone(),
            cert_file: args.cert_file.clone(),
            key_file: args.key_file.clone(),
            insecure_skip_tls_verify: args.insecure_skip_tls_verify,
        }
    }
}

pub fn run(command: &RegistryCommand) -> Result<()> {
    match command {
        RegistryCommand::Login(args) => login(args),
        RegistryCommand::Logout(args) => {
            if registry::logout(&args.host, &RegistryOptions::default())? {
                println!("Removed the credentials for {}", args.host);
                Ok(())
            } else {
                Err(Error::Invalid(format!(
                    "{}: not logged in (no stored credentials)",
                    args.host
                )))
            }
        }
    }
}

fn login(args: &RegistryLoginArgs) -> Result<()> {
    let password = match (&args.password, args.password_stdin) {
        (Some(password), _) => password.clone(),
        (None, true) => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Error::io("<stdin>", e))?;
            text.trim_end_matches(['\r', '\n']).to_string()
        }
        (None, false) => {
            return Err(Error::Invalid(
                "give the password with --password-stdin (e.g. `echo $TOKEN | ketch registry login HOST -u USER --password-stdin`)"
                    .into(),
            ));
        }
    };
    if password.is_empty() {
        return Err(Error::Invalid("the password is empty".into()));
    }
    let credential = Credential {
        username: args.username.clone(),
        password,
    };
    let options = RegistryOptions::from(&args.registry);
    let host = super::runtime()?.block_on(registry::login(&args.host, &credential, &options))?;
    println!("Login Succeeded: {host}");
    Ok(())
}
