from wakedock.cli import main

main()
