def test_two_clients_each_see_their_own_user(make, login, client):
    a = login(make.user(roles=["person"], display_name="Alice Person"))
    b = login(make.user(roles=["person"], display_name="Bob Person"))
    assert "Alice Person" in a.get("/account").get_data(as_text=True)
    assert "Bob Person" in b.get("/account").get_data(as_text=True)
    assert client.get("/account").status_code == 302
