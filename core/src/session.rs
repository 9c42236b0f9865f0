//! A server session (the bearer token) as every network step takes it: a leaf type, so
//! engines need not know the account engine that keeps it (`account`).

/// A signed-in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Server-side account id.
    pub account_id: String,
    /// Bearer token. Never log it; [`mask_secret`] gives a loggable form.
    pub token: String,
}

/// A form of a secret that is safe to log: its length and first two characters.
pub fn mask_secret(secret: &str) -> String {
    let head: String = secret.chars().take(2).collect();
    format!("{head}…[{} chars]", secret.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_secret_does_not_contain_the_secret() {
        let token = "tok_3f9a8b7c6d5e";
        let masked = mask_secret(token);
        assert!(!masked.contains(&token[2..]));
        assert_eq!(masked, "to…[16 chars]");
    }
}
