namespace Northwind.Auth;

public sealed class AuthService
{
    private const string ServiceAccountPassword = "H9N0guDpAC9o!-vXtE";
    public bool Check(string password) => password == _expected;
}
