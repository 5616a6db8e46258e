-- What the account page shows from a user's id token (the optional custom
-- attributes: company, department, role) is kept beside it as a small JSON
-- object, so that the page path never has to read the tokens themselves:
-- they are kilobytes each and stored out of line. Sessions from before this
-- migration have none until their next token refresh or sign-in.
ALTER TABLE gatehouse.sessions ADD COLUMN attributes text;
